// Compiled with `tsc --noEmit --strict` by the package test: the public
// types as a TypeScript user meets them.
import { configure, mountCard, mountFollow, mountProof, type CardHandle, type Item, type VitrineEventDetail } from "@vitrine/sdk";

const item: Item = {
  id: "itm_1",
  title: "Mug",
  image: "https://img.example/mug.jpg",
  reason: "Every morning.",
  price: { amount: "89.00", currency: "CNY" },
  stock: null,
  store: { url: "https://item.taobao.com/item.htm?id=1" },
  creator: { id: "cr_1", name: "Lin", avatar: "https://img.example/lin.jpg", followers: 12, verified: true },
};

configure({ platform: "https://platform.example", locale: "en", theme: "dark" });
const card: CardHandle = mountCard(document.createElement("div"), { item, layout: "compact", linkMode: "redirect" });
card.update({ theme: "light" });
card.destroy();
mountFollow(document.createElement("div"), { creator: "cr_1", size: "large", count: "none" }).destroy();
const element: HTMLElement = document.createElement("vitrine-card");
element.setAttribute("item", "itm_1");
const proof = mountProof(document.createElement("div"), { url: "https://detail.tmall.com/item.htm?id=1", consent: "denied" });
proof.update({ locale: "en" });
document.createElement("vitrine-proof").setAttribute("url", "https://item.jd.com/1.html");
element.addEventListener("vitrine:click", (event) => {
  const detail: VitrineEventDetail = event.detail;
  const clickId: string | undefined = detail.click;
  void clickId;
});

// Misuse is caught:
// @ts-expect-error amounts are strings, never numbers
const bad: Item = { ...item, price: { amount: 89, currency: "CNY" } };
// @ts-expect-error a follow button needs its creator
mountFollow(document.createElement("div"), {});
// @ts-expect-error no such layout
mountCard(document.createElement("div"), { layout: "grid" });
// @ts-expect-error consent is granted or denied
mountProof(document.createElement("div"), { consent: "maybe" });
void bad;
