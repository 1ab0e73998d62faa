// The studio's only script (its pages allow no inline script): the live
// preview, rendered by the SDK itself from the form as it is typed; the
// link check, by the platform's link rules; the picture upload; the copy
// buttons. The form still saves without it; only the preview and the
// upload need it.

const form = document.getElementById("item-form");
if (form) await editor(form);
for (const button of document.querySelectorAll("button[data-copy]")) copyButton(button);

async function editor(form) {
  const $ = (id) => document.getElementById(id);
  const value = (name) => form.elements[name].value.trim();
  const creator = JSON.parse(form.dataset.creator);
  const { mountCard } = await import("/pkg/vitrine.js");

  // The item as the SDK will be served it once saved.
  const draft = () => {
    const currency = value("currency");
    const stock = value("stock");
    const original = value("original_price");
    const image = value("image");
    return {
      id: form.dataset.item,
      title: value("title"),
      image: image && form.dataset.base + image,
      reason: value("reason"),
      price: { amount: value("price"), currency },
      original_price: original ? { amount: original, currency } : null,
      stock: stock === "" ? null : /^\d+$/.test(stock) ? Number(stock) : stock,
      store: { url: value("link") },
      creator,
    };
  };
  const previewHint = $("preview-hint");
  const options = () => ({
    item: draft(),
    layout: $("preview-layout").value,
    locale: $("preview-locale").value,
    // The creator's own preview is not an impression.
    consent: "denied",
    placement: "studio",
  });
  const preview = $("preview");
  // The SDK says what it cannot show, naming the field: say it with the
  // form's own label.
  preview.addEventListener("vitrine:render_error", (event) => {
    const reason = String(event.detail?.reason ?? "");
    const [path] = reason.split(" ", 1);
    const control = form.querySelector(`[data-field="${CSS.escape(path)}"]`);
    const label = control?.labels?.[0]?.textContent;
    previewHint.textContent = "卡片还不能显示 · Not ready yet: " + (label ? label + reason.slice(path.length) : reason);
  });
  const card = mountCard(preview, options());
  let frame = 0;
  const render = () => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(() => {
      previewHint.textContent = "";
      card.update(options());
    });
  };
  form.addEventListener("input", (event) => {
    // The server's complaint about a field goes once the field is changed.
    const field = event.target.closest(".field");
    field?.querySelector(".error")?.remove();
    if (event.target.id !== "link") event.target.removeAttribute("aria-invalid");
    render();
  });
  $("preview-layout").addEventListener("change", render);
  $("preview-locale").addEventListener("change", render);

  linkCheck($("link"), $("link-hint"));
  pictureUpload(form, $("picture"), $("picture-hint"), $("picture-img"), $("image"), render);
}

/** Says, as the link is typed, which store and product it is, or why not. */
function linkCheck(input, hint) {
  const initial = hint.textContent;
  let timer = 0;
  let latest = 0;
  const show = (text, state) => {
    hint.textContent = text;
    hint.dataset.state = state;
    if (state === "bad") input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  const check = async () => {
    const url = input.value.trim();
    if (!url) return show(initial, "");
    const mine = ++latest;
    try {
      const response = await fetch("/studio/link?url=" + encodeURIComponent(url));
      const answer = await response.json();
      if (mine !== latest) return;
      if (answer.ok) show(`✓ ${answer.store} · ${answer.canonical}`, "ok");
      else show(answer.message, "bad");
    } catch {
      if (mine === latest) show(initial, "");
    }
  };
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(check, 250);
  });
  if (input.value.trim()) check();
}

const MAX_PICTURE_BYTES = 2 * 1024 * 1024;

/** Uploads a chosen picture at once, so the preview can show it. The
 * platform judges it by its bytes; this only saves a doomed upload. */
function pictureUpload(form, input, hint, img, path, render) {
  const initial = hint.textContent;
  const show = (text, state) => {
    hint.textContent = text;
    hint.dataset.state = state;
    if (state === "bad") input.setAttribute("aria-invalid", "true");
    else input.removeAttribute("aria-invalid");
  };
  input.addEventListener("change", async () => {
    const file = input.files?.[0];
    if (!file) return show(initial, "");
    if (file.size > MAX_PICTURE_BYTES) return show("图片超过 2 MB · The picture is larger than 2 MB", "bad");
    show("上传中… · Uploading…", "");
    try {
      const response = await fetch("/studio/media", {
        method: "POST",
        body: file,
        headers: { "x-csrf-token": form.elements.csrf.value },
      });
      const answer = await response.json();
      if (!response.ok) return show(answer.reason ?? "上传失败 · Upload failed", "bad");
      path.value = answer.path;
      img.src = answer.url;
      img.hidden = false;
      show("✓ 已上传 · Uploaded", "ok");
      render();
    } catch {
      show("上传失败，请重试 · Upload failed, please try again", "bad");
    }
  });
}

/** Copies a snippet; where the clipboard is refused, selects it instead. */
function copyButton(button) {
  const label = button.textContent;
  const source = document.getElementById(button.dataset.copy);
  button.addEventListener("click", async () => {
    let copied = false;
    try {
      await navigator.clipboard.writeText(source.textContent);
      copied = true;
    } catch {
      const range = document.createRange();
      range.selectNodeContents(source);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
    }
    button.textContent = copied ? "已复制 · Copied" : "已选中，请按 Ctrl+C · Selected: press Ctrl+C";
    setTimeout(() => (button.textContent = label), 2500);
  });
}
