//! The seed's pictures, drawn as SVG so the demo needs no network and no
//! binary assets: product shots on a soft studio background, and avatars.

/// A product shot: `scene` drawn over a studio backdrop in `tint`.
fn studio(tint: &str, scene: &str) -> String {
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 800 600" width="800" height="600">
<defs><radialGradient id="bg" cx="50%" cy="35%" r="75%"><stop offset="0" stop-color="#fffdf9"/><stop offset="1" stop-color="{tint}"/></radialGradient>
<radialGradient id="shadow"><stop offset="0" stop-color="#000" stop-opacity=".28"/><stop offset="1" stop-color="#000" stop-opacity="0"/></radialGradient>
<linearGradient id="sheen" x1="0" x2="1"><stop offset="0" stop-color="#fff" stop-opacity="0"/><stop offset=".45" stop-color="#fff" stop-opacity=".35"/><stop offset=".6" stop-color="#fff" stop-opacity="0"/></linearGradient></defs>
<rect width="800" height="600" fill="url(#bg)"/><rect y="430" width="800" height="170" fill="#000" opacity=".035"/>
<ellipse cx="400" cy="478" rx="230" ry="34" fill="url(#shadow)"/>{scene}</svg>"##
    )
}

fn mug() -> String {
    let speckles: String = (0..40)
        .map(|i| {
            let x = 285 + (i * 53) % 200;
            let y = 215 + (i * 37) % 230;
            format!(
                r##"<circle cx="{x}" cy="{y}" r="{}" fill="#6b5a48" opacity=".35"/>"##,
                1 + i % 3
            )
        })
        .collect();
    studio(
        "#e9dccb",
        &format!(
            r##"<path d="M505 250c70 0 95 40 95 85s-30 85-100 85" fill="none" stroke="#cbb79e" stroke-width="30" stroke-linecap="round"/>
<path d="M270 190h240v250c0 25-20 40-45 40H315c-25 0-45-15-45-40z" fill="#d9c7ae"/>
<ellipse cx="390" cy="190" rx="120" ry="26" fill="#8a6f55"/><ellipse cx="390" cy="192" rx="108" ry="20" fill="#4a3324"/>{speckles}
<path d="M270 190h240v250c0 25-20 40-45 40H315c-25 0-45-15-45-40z" fill="url(#sheen)"/>
<path d="M360 150c-20-30 20-45 0-80M420 150c-20-30 20-45 0-80" fill="none" stroke="#b9a58c" stroke-width="8" stroke-linecap="round" opacity=".6"/>"##
        ),
    )
}

fn headphones() -> String {
    studio(
        "#d6dde6",
        r##"<path d="M250 360c0-150 60-240 150-240s150 90 150 240" fill="none" stroke="#2b2f36" stroke-width="30" stroke-linecap="round"/>
<path d="M262 330c0-130 55-195 138-195s138 65 138 195" fill="none" stroke="#4a505a" stroke-width="8"/>
<rect x="200" y="300" width="110" height="170" rx="50" fill="#1f2228"/><rect x="490" y="300" width="110" height="170" rx="50" fill="#1f2228"/>
<rect x="280" y="320" width="36" height="130" rx="16" fill="#6b7280"/><rect x="484" y="320" width="36" height="130" rx="16" fill="#6b7280"/>
<rect x="200" y="300" width="110" height="170" rx="50" fill="url(#sheen)"/><rect x="490" y="300" width="110" height="170" rx="50" fill="url(#sheen)"/>
<circle cx="575" cy="430" r="6" fill="#9ca3af"/>"##,
    )
}

fn tea() -> String {
    studio(
        "#dfe6d3",
        r##"<rect x="300" y="150" width="200" height="320" rx="18" fill="#2f5d46"/><rect x="292" y="140" width="216" height="50" rx="12" fill="#244a37"/>
<rect x="318" y="230" width="164" height="170" rx="8" fill="#f4ecd8"/><circle cx="400" cy="290" r="38" fill="none" stroke="#b8862f" stroke-width="5"/>
<path d="M385 290c10-25 30-25 30 0s-20 25-30 0" fill="#2f5d46"/><rect x="345" y="345" width="110" height="10" rx="5" fill="#b8862f"/><rect x="365" y="365" width="70" height="8" rx="4" fill="#c9b48a"/>
<rect x="300" y="150" width="200" height="320" rx="18" fill="url(#sheen)"/>
<ellipse cx="560" cy="455" rx="55" ry="16" fill="#cfc4a8"/><path d="M530 448c10-20 50-20 60 0" fill="#6f8f4e"/><path d="M545 440c5-12 25-14 32 0" fill="#88a865"/>"##,
    )
}

fn tote() -> String {
    studio(
        "#ece3d6",
        r##"<path d="M330 230c0-90 140-90 140 0" fill="none" stroke="#a88b68" stroke-width="16"/>
<path d="M250 230h300l30 250H220z" fill="#e4d7c3"/><path d="M250 230h300l30 250H220z" fill="url(#sheen)"/>
<path d="M250 230h300" stroke="#cdbb9f" stroke-width="10"/>
<g stroke="#d5c6ae" stroke-width="2" opacity=".7">
<path d="M240 300h320M235 340h330M231 380h338M227 420h346M223 460h354"/></g>
<text x="400" y="375" text-anchor="middle" font-family="Georgia,serif" font-size="38" fill="#7a5c3e" letter-spacing="6">LINEN</text>"##,
    )
}

fn keyboard() -> String {
    let keys: String = (0..5)
        .flat_map(|row| (0..14).map(move |col| (row, col)))
        .map(|(row, col)| {
            let (x, y) = (190 + col * 30, 265 + row * 32);
            let fill = if (row == 0 && col == 0) || (row == 4 && (5..9).contains(&col)) {
                "#e0703a"
            } else {
                "#f3f1ec"
            };
            format!(r##"<rect x="{x}" y="{y}" width="26" height="27" rx="5" fill="{fill}"/>"##)
        })
        .collect();
    studio(
        "#dcdde3",
        &format!(
            r##"<rect x="170" y="245" width="460" height="200" rx="22" fill="#3b3f47"/><rect x="170" y="245" width="460" height="12" rx="6" fill="#4c515b"/>{keys}
<rect x="170" y="245" width="460" height="200" rx="22" fill="url(#sheen)" opacity=".6"/>"##
        ),
    )
}

fn camera() -> String {
    studio(
        "#e6ded8",
        r##"<rect x="220" y="220" width="360" height="220" rx="24" fill="#202226"/><rect x="220" y="270" width="360" height="130" fill="#8a6a4f"/>
<rect x="250" y="190" width="90" height="40" rx="8" fill="#2a2c31"/><rect x="470" y="200" width="70" height="28" rx="6" fill="#c9ccd1"/>
<circle cx="400" cy="335" r="92" fill="#c9ccd1"/><circle cx="400" cy="335" r="76" fill="#2a2c31"/><circle cx="400" cy="335" r="52" fill="#10131a"/>
<circle cx="400" cy="335" r="30" fill="#283a5c"/><circle cx="386" cy="320" r="10" fill="#fff" opacity=".55"/>
<rect x="520" y="240" width="40" height="22" rx="4" fill="#9aa0a8"/><rect x="220" y="220" width="360" height="220" rx="24" fill="url(#sheen)" opacity=".5"/>"##,
    )
}

/// An avatar: a head-and-shoulders portrait in the creator's colours.
fn avatar(bg: &str, skin: &str, hair: &str, shirt: &str) -> String {
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 200" width="200" height="200">
<rect width="200" height="200" fill="{bg}"/><path d="M30 200c5-45 35-68 70-68s65 23 70 68z" fill="{shirt}"/>
<rect x="86" y="112" width="28" height="30" rx="10" fill="{skin}"/><circle cx="100" cy="88" r="42" fill="{skin}"/>
<path d="M56 88c0-34 20-50 46-50s44 18 42 50c-8-14-22-24-44-24s-34 10-44 24z" fill="{hair}"/>
<circle cx="85" cy="92" r="4" fill="#2b2b2b"/><circle cx="115" cy="92" r="4" fill="#2b2b2b"/>
<path d="M88 110c8 6 16 6 24 0" fill="none" stroke="#8a4b3a" stroke-width="3" stroke-linecap="round"/></svg>"##
    )
}

/// Every seeded picture: file name and SVG text.
pub fn seed_media() -> Vec<(&'static str, String)> {
    vec![
        ("mug.svg", mug()),
        ("headphones.svg", headphones()),
        ("tea.svg", tea()),
        ("tote.svg", tote()),
        ("keyboard.svg", keyboard()),
        ("camera.svg", camera()),
        (
            "avatar-lin.svg",
            avatar("#f6d7c3", "#f2c9a5", "#2d2019", "#c2410c"),
        ),
        (
            "avatar-maya.svg",
            avatar("#cfe3f3", "#e9b893", "#5a3825", "#1d6fd6"),
        ),
        (
            "avatar-chen.svg",
            avatar("#d9ead3", "#eec39c", "#1b1b1b", "#2f5d46"),
        ),
    ]
}
