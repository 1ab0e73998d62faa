// The live report: draws /v1/reports for a creator (totals, a per-minute
// chart as generated SVG, tables per item and per placement) and draws it
// again whenever /v1/live says there are new events. Text only through
// textContent; no library, no canvas.
(() => {
  const main = document.getElementById("dashboard");
  if (!main) return;
  const creator = main.dataset.creator;
  // A share link's key goes with every request the page makes (a reader
  // without the creator's session reads the report through it).
  const share = main.dataset.share ? "&share=" + encodeURIComponent(main.dataset.share) : "";
  const status = document.getElementById("status");
  const SVG = "http://www.w3.org/2000/svg";
  const SERIES = [
    ["impressions", "#c2410c", "曝光 impressions"],
    ["viewable_impressions", "#1d6fd6", "可见 viewable"],
    ["clicks", "#05603a", "点击 clicks"],
  ];
  const pct = (x) => (x * 100).toFixed(1) + "%";
  const el = (name, attrs = {}, ns) => {
    const e = ns ? document.createElementNS(ns, name) : document.createElement(name);
    for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
    return e;
  };

  function query(by) {
    const from = Date.now() - 3_600_000;
    return `/v1/reports?creator=${encodeURIComponent(creator)}&from=${from}&bucket=minute${by ? "&by=" + by : ""}${share}`;
  }

  function drawTotals(t) {
    for (const node of main.querySelectorAll("[data-total]")) {
      const key = node.dataset.total;
      node.textContent = key === "viewability" || key === "ctr" ? pct(t[key]) : String(t[key]);
    }
  }

  // Invalid traffic, beside the counted numbers: how much, and by which rule.
  function drawFiltered(filtered) {
    for (const node of main.querySelectorAll("[data-filtered]")) {
      const key = node.dataset.filtered;
      node.textContent = String(key === "total" ? filtered.total : filtered.by_reason[key] ?? 0);
    }
  }

  function drawChart(report) {
    const width = 1000, height = 200, pad = 24;
    const minute = report.bucket_ms;
    const start = Math.floor(report.from / minute) * minute;
    const slots = Math.ceil((report.to - start) / minute);
    const byStart = new Map(report.buckets.map((b) => [b.start, b]));
    const max = Math.max(1, ...report.buckets.flatMap((b) => SERIES.map(([k]) => b[k])));
    const svg = el("svg", { viewBox: `0 0 ${width} ${height + pad}`, preserveAspectRatio: "none" }, SVG);
    for (let i = 0; i <= 4; i++) {
      const y = pad / 2 + (height * i) / 4;
      svg.append(el("line", { x1: 0, x2: width, y1: y, y2: y, stroke: "#eeeae5" }, SVG));
    }
    for (const [key, color] of SERIES) {
      const points = [];
      for (let i = 0; i < slots; i++) {
        const value = byStart.get(start + i * minute)?.[key] ?? 0;
        points.push(`${((i + 0.5) * width) / slots},${pad / 2 + height - (value / max) * height}`);
      }
      svg.append(el("polyline", { points: points.join(" "), fill: "none", stroke: color, "stroke-width": 2, "data-series": key }, SVG));
    }
    const legend = el("div", { class: "legend" });
    for (const [, color, label] of SERIES) {
      const item = el("span");
      const swatch = el("i");
      swatch.style.background = color;
      item.append(swatch, label);
      legend.append(item);
    }
    document.getElementById("chart").replaceChildren(svg, legend);
  }

  function drawTable(id, report, heading) {
    const table = document.getElementById(id);
    const head = el("tr");
    for (const h of [heading, "曝光", "可见", "点击", "点击率", "关注"]) {
      const th = el("th");
      th.textContent = h;
      head.append(th);
    }
    const rows = (report.groups ?? []).map((g) => {
      const tr = el("tr");
      const t = g.totals;
      for (const v of [g.key, t.impressions, t.viewable_impressions, t.clicks, pct(t.ctr), t.follows]) {
        const td = el("td");
        td.textContent = String(v);
        tr.append(td);
      }
      return tr;
    });
    table.replaceChildren(head, ...rows);
  }

  let running = false;
  let again = false;
  async function refresh() {
    if (running) return void (again = true);
    running = true;
    try {
      const [byItem, byPlacement] = await Promise.all(
        ["item", "placement"].map((by) => fetch(query(by)).then((r) => {
          if (!r.ok) throw new Error(`the report answered ${r.status}`);
          return r.json();
        })),
      );
      drawTotals(byItem.totals);
      drawFiltered(byItem.filtered);
      drawChart(byItem);
      drawTable("by-item", byItem, "商品 item");
      drawTable("by-placement", byPlacement, "位置 placement");
      main.dataset.updated = String(Date.now());
    } catch (e) {
      // A revoked share link, or the platform away: said, not drawn as zeros.
      status.textContent = "无法读取报告 · The report cannot be read (" + e.message + ")";
      delete status.dataset.live;
    } finally {
      running = false;
      if (again) {
        again = false;
        refresh();
      }
    }
  }

  const stream = new EventSource(`/v1/live?creator=${encodeURIComponent(creator)}${share}`);
  stream.addEventListener("update", refresh);
  stream.onopen = () => {
    status.textContent = "● live";
    status.dataset.live = "";
    refresh();
  };
  stream.onerror = () => {
    status.textContent = "reconnecting…";
    delete status.dataset.live;
  };
  refresh();
})();
