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
  /** Where the element is shown, carried in the attribution. Default: the page's host name. */
  placement?: string;
  /**
   * Attribution beacons: "granted", "denied" (nothing is sent; DOM events
   * still fire). Default: sent, unless the browser sends Global Privacy Control.
   */
  consent?: "granted" | "denied";
}

export interface CardOptions extends CommonOptions {
  /** The item's data, inline. */
  item?: Item;
  /** Or the item's id, fetched from the platform. */
  itemId?: string;
  layout?: Layout;
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

export interface ProofOptions extends CommonOptions {
  /**
   * The product page the strip is about, in any form of the partner's link.
   * Default: the page's `<link rel="canonical">`, then the page's own URL.
   */
  url?: string;
}

/** What `mountProof` returns. */
export interface ProofHandle {
  update(options: Partial<ProofOptions>): void;
  destroy(): void;
}

/**
 * Mounts the social-proof strip in `element`: which creators recommend this
 * product and why, each with a follow control. Takes no space when nobody
 * does. Never throws.
 */
export function mountProof(element: HTMLElement, options?: ProofOptions): ProofHandle;

/** Sets page-wide defaults for every element. */
export function configure(options: CommonOptions & { layout?: Layout }): void;

/** `<vitrine-card item="itm_…" locale theme layout platform placement link-mode>`. */
export interface VitrineCardElement extends HTMLElement {}

/** `<vitrine-follow creator="cr_…" size count locale theme platform>`. */
export interface VitrineFollowElement extends HTMLElement {}

/** `<vitrine-proof url="…" locale theme platform placement>`. */
export interface VitrineProofElement extends HTMLElement {}

/** What happened, as the platform's report counts it. */
export type VitrineEventType =
  | "impression"
  | "viewable_impression"
  | "click"
  | "follow_click"
  | "follow_confirmed"
  | "render_error"
  | "proof_impression"
  | "proof_viewable_impression"
  | "proof_expand"
  | "creator_click";

/** The `detail` of a `vitrine:<type>` DOM event (it bubbles out of the element). */
export interface VitrineEventDetail {
  /** Random 128-bit id (32 hex digits). */
  id: string;
  type: VitrineEventType;
  placement: string;
  /** The page's origin and path. */
  page: string;
  /** Milliseconds since the Unix epoch. */
  ts: number;
  sdk: string;
  /** The page view's random id. */
  view: string;
  item?: string;
  creator?: string;
  /** Clicks: the click id in the buy link. */
  click?: string;
  /** Clicks inside a chat app's own browser: which one. */
  env?: "wechat" | "weibo" | "qq";
  /** `render_error`: why, naming the field. */
  reason?: string;
}

declare global {
  interface HTMLElementTagNameMap {
    "vitrine-card": VitrineCardElement;
    "vitrine-follow": VitrineFollowElement;
    "vitrine-proof": VitrineProofElement;
  }
  interface HTMLElementEventMap {
    "vitrine:impression": CustomEvent<VitrineEventDetail>;
    "vitrine:viewable_impression": CustomEvent<VitrineEventDetail>;
    "vitrine:click": CustomEvent<VitrineEventDetail>;
    "vitrine:follow_click": CustomEvent<VitrineEventDetail>;
    "vitrine:follow_confirmed": CustomEvent<VitrineEventDetail>;
    "vitrine:render_error": CustomEvent<VitrineEventDetail>;
    "vitrine:proof_impression": CustomEvent<VitrineEventDetail>;
    "vitrine:proof_viewable_impression": CustomEvent<VitrineEventDetail>;
    "vitrine:proof_expand": CustomEvent<VitrineEventDetail>;
    "vitrine:creator_click": CustomEvent<VitrineEventDetail>;
  }
}
