/** An amount as a decimal string ("199.00") and its ISO 4217 currency. */
export interface Money {
  amount: string;
  currency: string;
}

/** The creator who recommends the item. */
export interface Creator {
  id: string;
  name: string;
  /** Absolute http(s) URL. */
  avatar: string;
  followers: number;
  verified?: boolean;
}

/** A showcase item, the same inline and from `GET /v1/items/{id}`. */
export interface Item {
  id: string;
  title: string;
  /** Absolute http(s) URL. */
  image: string;
  /** The creator's reason for recommending it, in their words. */
  reason: string;
  price: Money;
  original_price?: Money | null;
  /** Units left; null when the store does not say. 0 is sold out. */
  stock: number | null;
  /**
   * The partner store's product page, in any form the partner uses (mobile,
   * http, with tracking noise). The buy button links to the partner's
   * canonical page for the item, with attribution; a link no partner claims
   * (or any trick: userinfo, look-alike hosts, IP hosts, other schemes) is
   * refused and buying is disabled.
   */
  store: { url: string };
  creator: Creator;
}

export type Locale = "zh-CN" | "en" | (string & {});
export type Theme = "auto" | "light" | "dark";
export type Layout = "full" | "compact";

/** Options shared by every element, settable page-wide with `configure`. */
export interface CommonOptions {
  /** The platform's origin. Default: the origin the SDK was loaded from. */
  platform?: string;
  /** "zh-CN" (default) or "en"; other languages fall back to English. */
  locale?: Locale;
  theme?: Theme;
}

export interface CardOptions extends CommonOptions {
  /** The item's data, inline. */
  item?: Item;
  /** Or the item's id, fetched from the platform. */
  itemId?: string;
  layout?: Layout;
  /** Where the card is shown, carried in the attribution. Default: the page's host name. */
  placement?: string;
  /**
   * "direct" (default): the buy button links straight to the partner, with a
   * fresh click id per click. "redirect": through the platform's signed
   * `/r/` link, which records the click (for hosts that block beacons).
   */
  linkMode?: "direct" | "redirect";
  /** The platform's Alimama publisher id (`mm_…`), sent as `pid` to Taobao and Tmall. */
  publisher?: string;
}

/** What `mountCard` returns. */
export interface CardHandle {
  /** Renders again with these options merged over the current ones. */
  update(options: Partial<CardOptions>): void;
  /** Empties the card and releases it. */
  destroy(): void;
}

/** Mounts a showcase card in `element`'s open shadow root. Never throws. */
export function mountCard(element: HTMLElement, options?: CardOptions): CardHandle;

export interface FollowOptions extends CommonOptions {
  /** The creator's id (`cr_…`). */
  creator: string;
  size?: "small" | "large";
  /** "none" hides the follower count. */
  count?: "show" | "none";
}

/** What `mountFollow` returns. */
export interface FollowHandle {
  update(options: Partial<FollowOptions>): void;
  destroy(): void;
}

/**
 * Mounts a follow button in `element`. A click opens the platform's follow
 * intent; the button shows Following once the platform confirms. Never throws.
 */
export function mountFollow(element: HTMLElement, options: FollowOptions): FollowHandle;

/** Sets page-wide defaults for every element. */
export function configure(options: CommonOptions & { layout?: Layout }): void;

/** `<vitrine-card item="itm_…" locale theme layout platform placement link-mode>`. */
export interface VitrineCardElement extends HTMLElement {}

/** `<vitrine-follow creator="cr_…" size count locale theme platform>`. */
export interface VitrineFollowElement extends HTMLElement {}

declare global {
  interface HTMLElementTagNameMap {
    "vitrine-card": VitrineCardElement;
    "vitrine-follow": VitrineFollowElement;
  }
}
