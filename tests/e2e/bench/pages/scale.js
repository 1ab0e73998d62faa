// Mounts N cards with inline data for the benchmark, and destroys them.
import { mountCard } from "/pkg/vitrine.js";

const item = await fetch("/v1/items/itm_ceramic_mug").then((r) => r.json());
const stage = document.getElementById("stage");
let handles = [];

const allReady = () =>
  handles.length > 0 && [...stage.children].every((el) => el.shadowRoot?.querySelector("[part=card]")?.dataset.state === "ready");

window.bench = {
  /** Mounts `n` cards in a task of its own (as a page's script would);
   * resolves with ms from then to the frame showing them all. */
  mount(n) {
    return new Promise((resolve) =>
      setTimeout(() => {
        const start = performance.now();
        for (let i = 0; i < n; i++) {
          const el = document.createElement("div");
          stage.append(el);
          handles.push(mountCard(el, { item: { ...item, id: "itm_bench_" + i }, consent: "denied" }));
        }
        // The frame in which they all show; its callback runs before it paints.
        const frame = () => (allReady() ? resolve(performance.now() - start) : requestAnimationFrame(frame));
        requestAnimationFrame(frame);
      }),
    );
  },
  destroy() {
    for (const handle of handles) handle.destroy();
    handles = [];
    stage.replaceChildren();
  },
};
window.benchReady = true;
