import { SeededRandom } from "./seeded-random.js";

/** One product of the synthetic shop. Prices are fixed per product, so revenue queries add up. */
export interface Product {
  readonly productId: string;
  readonly productName: string;
  readonly productCategory: string;
  readonly price: number;
  /** `"product_id":"…","product_name":"…","product_category":"…","price":…` ready to splice into JSON. */
  readonly json: string;
}

const categories: readonly { name: string; nouns: readonly string[]; minPrice: number; maxPrice: number }[] =
  [
    {
      name: "electronics",
      nouns: [
        "Headphones",
        "Bluetooth Speaker",
        "Smartwatch",
        "USB-C Charger",
        "Webcam",
        "Keyboard",
        "Monitor",
      ],
      minPrice: 15,
      maxPrice: 899,
    },
    {
      name: "clothing",
      nouns: ["T-Shirt", "Hoodie", "Rain Jacket", "Chinos", "Wool Socks", "Sneakers", "Beanie"],
      minPrice: 9,
      maxPrice: 189,
    },
    {
      name: "home_garden",
      nouns: ["Coffee Grinder", "Desk Lamp", "Plant Pot", "Throw Blanket", "Chef Knife", "Garden Hose"],
      minPrice: 12,
      maxPrice: 249,
    },
    {
      name: "books",
      nouns: ["Cookbook", "Travel Guide", "Mystery Novel", "Data Science Handbook", "Poetry Collection"],
      minPrice: 7,
      maxPrice: 59,
    },
    {
      name: "sports",
      nouns: ["Yoga Mat", "Running Shoes", "Water Bottle", "Dumbbell Set", "Cycling Gloves", "Tennis Racket"],
      minPrice: 8,
      maxPrice: 329,
    },
    {
      name: "beauty",
      nouns: ["Face Serum", "Shampoo", "Lip Balm", "Sunscreen SPF 50", "Hand Cream"],
      minPrice: 5,
      maxPrice: 79,
    },
    {
      name: "toys",
      nouns: ["Building Blocks", "Puzzle 1000 Pieces", "Plush Bear", "Board Game", "RC Car"],
      minPrice: 9,
      maxPrice: 149,
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
      const name = `${random.pick(adjectives)} ${random.pick(category.nouns)}`;
      if (used.has(name)) continue;
      used.add(name);
      // Shop prices end in .99 or .49; skew towards the cheap end like real catalogues.
      const base = category.minPrice + (category.maxPrice - category.minPrice) * random.float() ** 2;
      const price = Math.floor(base) + (random.chance(0.7) ? 0.99 : 0.49);
      const productId = `prod_${String(products.length + 1).padStart(4, "0")}`;
      products.push({
        productId,
        productName: name,
        productCategory: category.name,
        price,
        json: `"product_id":"${productId}","product_name":"${name}","product_category":"${category.name}","price":${price}`,
      });
    }
  }
  return products;
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
