import { SeededRandom } from "./seeded-random.js";

/** One product of the synthetic shop. Prices are fixed per product, so revenue queries add up. */
export interface Product {
  readonly productId: string;
  readonly productName: string;
  readonly productCategory: string;
  readonly price: number;
  /** `/products/<id>`, the product page's path, as bytes. */
  readonly pathBytes: Buffer;
  /** `,"product_id":"…","product_name":"…","product_category":"…","price":…` ready to splice into JSON. */
  readonly json: string;
  /** `json` as bytes, for the serializer. */
  readonly jsonBytes: Buffer;
}

/** Categories with their products' nouns and typical prices (USD), so a product's price fits what it is. */
const categories: readonly { name: string; nouns: readonly (readonly [string, number])[] }[] = [
  {
    name: "electronics",
    nouns: [
      ["Headphones", 129],
      ["Bluetooth Speaker", 79],
      ["Smartwatch", 249],
      ["USB-C Charger", 24],
      ["Webcam", 69],
      ["Keyboard", 89],
      ["Monitor", 299],
    ],
  },
  {
    name: "clothing",
    nouns: [
      ["T-Shirt", 19],
      ["Hoodie", 49],
      ["Rain Jacket", 119],
      ["Chinos", 59],
      ["Wool Socks", 14],
      ["Sneakers", 89],
      ["Beanie", 22],
    ],
  },
  {
    name: "home_garden",
    nouns: [
      ["Coffee Grinder", 69],
      ["Desk Lamp", 39],
      ["Plant Pot", 17],
      ["Throw Blanket", 45],
      ["Chef Knife", 79],
      ["Garden Hose", 34],
    ],
  },
  {
    name: "books",
    nouns: [
      ["Cookbook", 27],
      ["Travel Guide", 19],
      ["Mystery Novel", 14],
      ["Data Science Handbook", 44],
      ["Poetry Collection", 16],
    ],
  },
  {
    name: "sports",
    nouns: [
      ["Yoga Mat", 29],
      ["Running Shoes", 109],
      ["Water Bottle", 18],
      ["Dumbbell Set", 89],
      ["Cycling Gloves", 24],
      ["Tennis Racket", 139],
    ],
  },
  {
    name: "beauty",
    nouns: [
      ["Face Serum", 34],
      ["Shampoo", 11],
      ["Lip Balm", 5],
      ["Sunscreen SPF 50", 17],
      ["Hand Cream", 9],
    ],
  },
  {
    name: "toys",
    nouns: [
      ["Building Blocks", 39],
      ["Puzzle 1000 Pieces", 19],
      ["Plush Bear", 24],
      ["Board Game", 34],
      ["RC Car", 59],
    ],
  },
];

const adjectives = ["Classic", "Pro", "Eco", "Ultra", "Compact", "Deluxe", "Everyday", "Nordic", "Urban"];

/** Product categories of the synthetic shop, in catalogue order. */
export const productCategories: readonly string[] = categories.map((c) => c.name);

const productsPerCategory = 24;

/**
 * The synthetic shop's catalogue: 24 products in each of 7 categories, built from a fixed seed so it is the
 * same for every generator seed (a product always has the same name, category and price).
 */
export const productCatalogue: readonly Product[] = buildCatalogue();

/** The catalogue grouped by category, in `productCategories` order. */
export const productsByCategory: ReadonlyMap<string, readonly Product[]> = new Map(
  productCategories.map((name) => [name, productCatalogue.filter((p) => p.productCategory === name)]),
);

function buildCatalogue(): Product[] {
  const random = new SeededRandom(0x5eed_cafe);
  const products: Product[] = [];
  for (const category of categories) {
    const used = new Set<string>();
    while (used.size < productsPerCategory) {
      const [noun, typical] = random.pick(category.nouns);
      const name = `${random.pick(adjectives)} ${noun}`;
      if (used.has(name)) continue;
      used.add(name);
      // Within ±40% of the typical price; shop prices end in .99 or .49.
      const dollars = Math.max(1, Math.floor(typical * (0.6 + 0.8 * random.float())));
      // Cents / 100 is the double nearest the decimal price: it prints as 87.99, never 87.99000000000001.
      const price = (dollars * 100 + (random.chance(0.7) ? 99 : 49)) / 100;
      const productId = `prod_${String(products.length + 1).padStart(4, "0")}`;
      products.push({
        productId,
        productName: name,
        productCategory: category.name,
        price,
        pathBytes: Buffer.from(`/products/${productId}`, "latin1"),
        json: `,"product_id":"${productId}","product_name":"${name}","product_category":"${category.name}","price":${price}`,
        jsonBytes: Buffer.alloc(0),
      });
    }
  }
  // Each product's JSON members, encoded once.
  return products.map((p) => ({ ...p, jsonBytes: Buffer.from(p.json, "latin1") }));
}

/** User agents per device type; a user keeps one per device. */
export const userAgents: Readonly<Record<"desktop" | "mobile" | "tablet", readonly string[]>> = {
  desktop: [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0",
  ],
  mobile: [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Linux; Android 13; SM-S911B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36",
  ],
  tablet: [
    "Mozilla/5.0 (iPad; CPU OS 17_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 13; SM-X710) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
  ],
};

/** Where sessions come from; `undefined` = direct traffic (no referrer field). Weighted by repetition. */
export const referrers: readonly (string | undefined)[] = [
  undefined,
  undefined,
  undefined,
  "google.com",
  "google.com",
  "google.com",
  "bing.com",
  "facebook.com",
  "instagram.com",
  "newsletter",
  "t.co",
];

/** Search terms users type. */
export const searchTerms: readonly string[] = [
  "wireless headphones",
  "running shoes",
  "gift ideas",
  "yoga mat",
  "coffee",
  "rain jacket",
  "board game",
  "sunscreen",
  "usb c charger",
  "desk lamp",
];

/** Screen sizes per device type, as `[width, height]`. */
export const screens: Readonly<
  Record<"desktop" | "mobile" | "tablet", readonly (readonly [number, number])[]>
> = {
  desktop: [
    [1920, 1080],
    [2560, 1440],
    [1366, 768],
    [1536, 864],
  ],
  mobile: [
    [390, 844],
    [412, 915],
    [360, 800],
  ],
  tablet: [
    [820, 1180],
    [768, 1024],
  ],
};

export const languages: readonly string[] = ["en-US", "en-GB", "de-DE", "fr-FR", "es-ES", "nl-NL"];

/** Relative traffic per UTC hour of day (0–23): quiet nights, a lunch bump, an evening peak. */
export const hourWeights: readonly number[] = [
  18, 12, 8, 6, 5, 6, 10, 18, 30, 40, 46, 50, 56, 54, 50, 48, 50, 56, 66, 74, 76, 66, 48, 30,
];

export const shopOrigin = "https://shop.example.com";
