import {
  languages,
  productCategories,
  productsByCategory,
  referrers,
  screens,
  searchTerms,
  userAgents,
  type Product,
} from "./catalogue.js";
import { hash32, type SeededRandom } from "./seeded-random.js";

type DeviceType = "desktop" | "mobile" | "tablet";

/** One planned event of a session, before it is written as JSON. */
export interface PlannedEvent {
  readonly type: string;
  timeMs: number;
  /** The page's path (after the shop origin), as bytes. */
  readonly url: Buffer;
  readonly product: Product | undefined;
  readonly quantity: number | undefined;
  /** Extra members of additional_data for this event (`,"search_query":"…"`), or "". */
  readonly extra: string;
}

/** The per-session constants every event of the session repeats. */
export interface PlannedSession {
  readonly userIndex: number;
  readonly userId: string;
  readonly sessionId: string;
  readonly device: DeviceType;
  /** `,"referrer":"google.com"` or "" for direct traffic. */
  readonly referrerJson: string;
  readonly userAgent: string;
  readonly ipAddress: string;
  /** `{"screen":"…","lang":"…"` (additional_data without its closing brace and per-event members). */
  readonly additionalPrefix: string;
  readonly events: PlannedEvent[];
}

// Paths are encoded once; the serializer copies their bytes.
const path = (text: string): Buffer => Buffer.from(text, "latin1");
const categoryPaths = new Map(productCategories.map((c) => [c, path(`/category/${c}`)]));
const searchPaths = new Map(searchTerms.map((t) => [t, path(`/search?q=${t.replace(/ /g, "+")}`)]));
const paths = {
  signup: path("/account/signup"),
  login: path("/account/login"),
  logout: path("/account/logout"),
  cart: path("/cart"),
  checkout: path("/checkout"),
  payment: path("/checkout/payment"),
  confirmation: path("/checkout/confirmation"),
};
const devices: readonly DeviceType[] = ["mobile", "desktop", "tablet"];
const landingPaths = ["/", "/", "/", "/deals", "/new-arrivals", "/blog/gift-guide"].map(path);
const paymentMethods = ["credit_card", "paypal", "apple_pay", "klarna"];

/**
 * Plans whole sessions: a user, a device, a referrer and a walk down the shop funnel
 * (landing → browse/search → product views → cart → checkout → purchase), with realistic drop-off.
 */
export class SessionPlanner {
  private readonly seenUsers: Uint8Array;
  private readonly userIdWidth: number;

  constructor(
    private readonly random: SeededRandom,
    private readonly users: number,
    private readonly seed: number,
  ) {
    this.seenUsers = new Uint8Array(users);
    this.userIdWidth = Math.max(6, String(users).length);
  }

  /** Plans one session starting at `startMs`, capped at `maxEvents` events (at least 1). */
  plan(startMs: number, maxEvents: number): PlannedSession {
    const r = this.random;
    // Skewed user choice: a few heavy users, a long tail of occasional ones.
    const userIndex = Math.min(this.users - 1, Math.floor(this.users * r.float() ** 1.6));
    const traits = hash32(userIndex, this.seed);
    const primary = devices[traits % 100 < 55 ? 0 : traits % 100 < 92 ? 1 : 2]!;
    const device = r.chance(0.85) ? primary : r.pick(devices);
    const agents = userAgents[device];
    const [width, height] = screens[device][(traits >>> 8) % screens[device].length]!;
    const language = languages[(traits >>> 12) % languages.length]!;
    const referrer = r.pick(referrers);
    const firstVisit = this.seenUsers[userIndex] === 0;
    this.seenUsers[userIndex] = 1;
    const newUser = (traits >>> 20) % 100 < 30;

    const events: PlannedEvent[] = [];
    const add = (type: string, url: Buffer, product?: Product, quantity?: number, extra = ""): void => {
      events.push({ type, timeMs: 0, url, product, quantity, extra });
    };

    add("page_view", r.pick(landingPaths));
    let loggedIn = false;
    if (newUser && firstVisit && r.chance(0.6)) {
      add(
        "signup",
        paths.signup,
        undefined,
        undefined,
        `,"signup_method":"${r.pick(["email", "google", "apple"])}"`,
      );
      loggedIn = true;
    } else if (!newUser && r.chance(0.3)) {
      add("login", paths.login);
      loggedIn = true;
    }

    // Intent decides how deep the session walks the funnel.
    const intent = r.float();
    const depth = intent < 0.28 ? 0 : intent < 0.62 ? 1 : intent < 0.82 ? 2 : intent < 0.88 ? 3 : 4;
    if (depth === 0) {
      if (r.chance(0.4)) add("page_view", r.pick(landingPaths));
    } else {
      const category = r.pick(productCategories);
      const browseRounds = r.range(1, 3);
      const viewed: Product[] = [];
      for (let i = 0; i < browseRounds; i++) {
        if (r.chance(0.6)) {
          add(
            "category_view",
            categoryPaths.get(category)!,
            undefined,
            undefined,
            `,"sort":"${r.pick(["popular", "price_asc", "newest"])}"`,
          );
        } else {
          const term = r.pick(searchTerms);
          add(
            "search",
            searchPaths.get(term)!,
            undefined,
            undefined,
            `,"search_query":"${term}","results_count":${r.range(0, 60)}`,
          );
        }
        const views = r.range(1, 3);
        for (let v = 0; v < views; v++) {
          const product = this.pickProduct(category);
          viewed.push(product);
          add("product_view", product.pathBytes, product);
        }
      }
      if (depth >= 2) {
        const cart: { product: Product; quantity: number }[] = [];
        const lines = r.chance(0.7) ? 1 : 2;
        for (let i = 0; i < lines; i++) {
          const product = viewed[r.int(viewed.length)]!;
          const quantity = r.chance(0.8) ? 1 : r.range(2, 4);
          cart.push({ product, quantity });
          add("add_to_cart", product.pathBytes, product, quantity);
        }
        if (cart.length > 1 && r.chance(0.35)) {
          const removed = cart.pop()!;
          add("remove_from_cart", paths.cart, removed.product, removed.quantity);
        }
        if (depth >= 3) {
          const total = cart.reduce((sum, line) => sum + line.product.price * line.quantity, 0);
          add("checkout_start", paths.checkout, undefined, undefined, `,"cart_value":${total.toFixed(2)}`);
          const method = r.pick(paymentMethods);
          if (depth === 4 || r.chance(0.5)) {
            add("payment_info", paths.payment, undefined, undefined, `,"payment_method":"${method}"`);
          }
          if (depth === 4) {
            const orderId = `ORD-${r.uint32().toString(36).toUpperCase().padStart(7, "0")}`;
            for (const line of cart) {
              add(
                "purchase",
                paths.confirmation,
                line.product,
                line.quantity,
                `,"order_id":"${orderId}","payment_method":"${method}"`,
              );
            }
          }
        }
      }
    }
    if (loggedIn && r.chance(0.25)) add("logout", paths.logout);

    if (events.length > maxEvents) events.length = Math.max(1, maxEvents);
    // Think time between clicks: mostly seconds, sometimes minutes.
    let t = startMs;
    for (const event of events) {
      event.timeMs = t;
      t += 2000 + Math.floor(r.float() ** 3 * 240_000) + r.int(1000);
    }

    const ipTraits = hash32(userIndex, this.seed ^ 0x1f2e3d);
    const ipAddress = `${((ipTraits >>> 24) % 223) + 1}.${(ipTraits >>> 16) & 0xff}.${(ipTraits >>> 8) & 0xff}.${(ipTraits & 0xfd) + 1}`;
    return {
      userIndex,
      userId: `user_${String(userIndex).padStart(this.userIdWidth, "0")}`,
      sessionId: r.uuid(),
      device,
      referrerJson: referrer === undefined ? "" : `,"referrer":"${referrer}"`,
      userAgent: agents[(traits >>> 4) % agents.length]!,
      ipAddress,
      additionalPrefix: `{"screen":"${width}x${height}","lang":"${language}"`,
      events,
    };
  }

  /** A product, mostly from the browsed category, popular ones (low ranks) more often. */
  private pickProduct(category: string): Product {
    const r = this.random;
    const name = r.chance(0.85) ? category : r.pick(productCategories);
    const products = productsByCategory.get(name)!;
    return products[Math.floor(products.length * r.float() ** 2)]!;
  }
}
