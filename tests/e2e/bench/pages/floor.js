// The benchmark's floor: the same card (the SDK's own markup and stylesheet)
// drawn by plain, hand-written DOM code, with no validation, no link rules
// and no beacons. What a card costs at the least; the SDK's time to first
// card is reported as a ratio to this. For the benchmark only.
const CSS = "__VITRINE_CARD_CSS__";
const HTML = "__VITRINE_CARD_HTML__";
const sheet = new CSSStyleSheet();
sheet.replaceSync(CSS);
const template = document.createElement("template");
template.innerHTML = HTML;
const money = (amount, currency) => new Intl.NumberFormat("zh-CN", { style: "currency", currency }).format(amount);

customElements.define("plain-card", class extends HTMLElement {
  connectedCallback() {
    const root = this.attachShadow({ mode: "open" });
    root.adoptedStyleSheets = [sheet];
    const skeleton = template.content.cloneNode(true);
    skeleton.firstElementChild.dataset.state = "loading";
    skeleton.querySelector(".fallback").remove();
    root.append(skeleton);
    fetch("/v1/items/" + this.getAttribute("item")).then((r) => r.json()).then((item) => {
      const card = template.content.cloneNode(true);
      const article = card.firstElementChild;
      Object.assign(article.dataset, { state: "ready", theme: "auto", layout: "full" });
      const set = (cls, text) => (card.querySelector("." + cls).textContent = text);
      const img = card.querySelector(".image");
      img.src = item.image;
      img.alt = item.title;
      set("title", item.title);
      set("partner", "淘宝");
      card.querySelector(".avatar").src = item.creator.avatar;
      set("name", item.creator.name);
      set("says", "推荐");
      set("reason", item.reason);
      set("price", money(item.price.amount, item.price.currency));
      if (item.original_price) {
        set("sr", "原价");
        set("was", money(item.original_price.amount, item.original_price.currency));
      } else card.querySelector(".original").remove();
      set("stock", item.stock > 5 ? "有货" : "仅剩 " + item.stock + " 件");
      const buy = card.querySelector(".buy");
      buy.href = item.store.url;
      buy.target = "_blank";
      set("buy", "去淘宝购买");
      card.querySelector(".fallback").remove();
      root.replaceChildren(card);
    });
  }
});
