//! The handbook (`infralens book`) and the shape diagrams (`explain --format svg`): their
//! structure read back from the files, every link inside the site followed, and the pages
//! loaded in headless Chromium — the DOM after rendering checked, a screenshot taken.
//!
//! `.ci/run` installs Chromium (Debian's `chromium`) and sets `INFRALENS_REQUIRE_BROWSER=1`,
//! so there the browser part cannot be skipped; elsewhere it is skipped, with a message,
//! when no Chromium is found (`INFRALENS_CHROMIUM` names one).

use infralens_cli::labs::catalog;
use std::collections::HashSet;
use std::path::{Path, PathBuf};

mod common;
use common::{infralens, repo};

/// The handbook, built into a directory of this test's own (tests run in parallel).
fn book(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let (code, out, err) = infralens(
        Path::new(env!("CARGO_TARGET_TMPDIR")),
        &["book", &dir.to_string_lossy()],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("wrote 11 files to "), "{out}");
    dir
}

/// The values of `attr="…"` in `html`.
fn attributes<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let needle = format!(" {attr}=\"");
    html.match_indices(&needle)
        .filter_map(|(i, m)| {
            let rest = &html[i + m.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

#[test]
fn every_lab_page_has_its_sections_diagrams_and_errors() {
    let dir = book("book-structure");
    let c = catalog().expect("catalog");
    let index = std::fs::read_to_string(dir.join("index.html")).expect("index");
    for lab in &c.labs {
        let name = format!("lab-{}.html", lab.id);
        assert!(
            index.contains(&format!("href=\"{name}\"")),
            "index lacks {name}"
        );
        let page = std::fs::read_to_string(dir.join(&name)).expect("a page per lab");
        // Every section of the lab's Markdown page, as a heading with an id.
        let markdown =
            std::fs::read_to_string(repo().join("labs").join(&lab.dir).join("README.md"))
                .expect("the lab's page");
        for heading in markdown.lines().filter_map(|l| l.strip_prefix("## ")) {
            assert!(
                page.contains(&format!(">{}</h2>", heading.replace('&', "&amp;"))),
                "{name} lacks the section `{heading}`"
            );
        }
        for section in ["diagrams", "exercise-errors"] {
            assert!(
                page.contains(&format!("<section id=\"{section}\">")),
                "{name}: {section}"
            );
        }
        // The starter: its anchor on the page's own copy of it.
        assert!(
            page.contains("<div id=\"starter\"></div>"),
            "{name}: starter"
        );
        // The starter highlighted with line numbers.
        assert!(
            page.contains("<td class=\"ln\"><pre>1\n2\n"),
            "{name}: no line numbers"
        );
        assert!(page.contains("class=\"hl-"), "{name}: no highlighting");
        // A diagram per annotated function: boxes, arrows, the sizes.
        let svgs = page.matches("<svg").count();
        assert!(svgs >= 1, "{name}: no diagram");
        assert!(
            page.matches("class=\"tensor ").count() >= 2 * svgs,
            "{name}"
        );
        assert!(
            page.contains("marker-end=\"url(#arrow-"),
            "{name}: no arrows"
        );
        // Every exercise with its pinned error, as the terminal shows it.
        for ex in c.exercises_of(lab) {
            let error = ex.pinned_error().expect("a pinned error");
            assert!(error.contains(&ex.error), "{}: stale pinned error", ex.name);
            let first = error
                .lines()
                .find(|l| l.starts_with("error"))
                .expect("an error line");
            let shown = first.split_once(": ").map_or(first, |(_, rest)| rest);
            let shown = shown
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;");
            assert!(page.contains(&shown), "{name}: {} lacks `{shown}`", ex.name);
        }
    }
    // The rules, each at the anchor SARIF's `helpUri` points at.
    let rules = std::fs::read_to_string(dir.join("rules.html")).expect("rules.html");
    for rule in infralens_cli::rules::RULES.iter() {
        assert!(
            rules.contains(&format!("<section id=\"rule-{}\">", rule.id)),
            "{}",
            rule.id
        );
    }
    // Lab 02's diagram: the head split with its sizes and the contracted dim.
    let lab02 = std::fs::read_to_string(dir.join("lab-02.html")).expect("page");
    for label in [
        "projected: (B, S, D)",
        "(2, 4, 16) · 128 elements · 512 bytes",
        "return: (B, H, S, Dh)",
        "matmul over D · 4,096 FLOPs",
        "split heads",
        "w: (D, D)",
        "256 params",
        "matmul over Dh · 1,024 FLOPs",
        "matmul over S · 1,024 FLOPs",
        "merge heads",
    ] {
        assert!(lab02.contains(label), "Lab 02's diagrams lack `{label}`");
    }
    // Each op labels its own arrow: the scores' scale, K read transposed, then the
    // product; softmax is the arrow out of the scores, before the product with V.
    for label in ["scale", "kᵀ", "softmax"] {
        assert!(
            lab02.lines().any(|l| l.trim() == label),
            "Lab 02's diagrams lack the op `{label}` as a label of its own"
        );
    }
}

/// Every page's ids are unique (three diagrams on a page each defined `id="head"`), every
/// URL a lab page names is a link on the site (seven pages left them as text), and the
/// starter is shown once (it was shown twice) (issue 26).
#[test]
fn ids_are_unique_urls_are_links_and_the_starter_is_shown_once() {
    let dir = book("book-ids");
    let c = catalog().expect("catalog");
    for entry in std::fs::read_dir(&dir).expect("the book") {
        let path = entry.expect("entry").path();
        if path.extension().is_none_or(|e| e != "html") {
            continue;
        }
        let html = std::fs::read_to_string(&path).expect("page");
        let mut seen = HashSet::new();
        for id in attributes(&html, "id") {
            assert!(seen.insert(id), "{}: id `{id}` twice", path.display());
        }
    }
    for lab in &c.labs {
        let page = infralens_cli::labs::file(&format!("{}/README.md", lab.dir)).expect("page");
        let html = std::fs::read_to_string(dir.join(format!("lab-{}.html", lab.id))).expect("html");
        let hrefs: HashSet<&str> = attributes(&html, "href").into_iter().collect();
        let urls: Vec<&str> = page
            .split_whitespace()
            .filter_map(|w| w.find("https://").map(|i| &w[i..]))
            .map(|u| u.trim_end_matches(['.', ',', ';', ':', ')', '>']))
            .collect();
        assert!(!urls.is_empty(), "Lab {} cites no source", lab.id);
        for url in urls {
            assert!(hrefs.contains(url), "Lab {}: `{url}` is not a link", lab.id);
        }
        let starter_line = html.matches("the starter").count();
        assert!(starter_line >= 1, "Lab {}", lab.id);
        assert_eq!(
            html.matches("<div id=\"starter\">").count(),
            1,
            "Lab {}: the starter's anchor",
            lab.id
        );
    }
    // The starter's first line, once on its page.
    let lab02 = std::fs::read_to_string(dir.join("lab-02.html")).expect("html");
    assert_eq!(
        lab02
            .matches(
                "Lab 02 — Q/K/V shape walkthrough: the starter, every shape written as on paper."
            )
            .count(),
        1
    );
}

#[test]
fn no_link_inside_the_site_is_broken() {
    let dir = book("book-links");
    let mut pages = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("the book") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "html") {
            pages.push(path);
        }
    }
    assert_eq!(pages.len(), 10, "{pages:?}");
    let mut followed = 0;
    for page in &pages {
        let html = std::fs::read_to_string(page).expect("page");
        let ids: HashSet<&str> = attributes(&html, "id").into_iter().collect();
        for target in attributes(&html, "href")
            .into_iter()
            .chain(attributes(&html, "src"))
        {
            if target.contains("://") || target.starts_with("mailto:") {
                continue;
            }
            let (file, fragment) = target.split_once('#').unwrap_or((target, ""));
            if file.is_empty() {
                assert!(
                    fragment.is_empty() || ids.contains(fragment),
                    "{}: no id `{fragment}`",
                    page.display()
                );
            } else {
                let linked = dir.join(file);
                assert!(
                    linked.is_file(),
                    "{}: broken link `{target}`",
                    page.display()
                );
                if !fragment.is_empty() {
                    let other = std::fs::read_to_string(&linked).expect("page");
                    assert!(other.contains(&format!("id=\"{fragment}\"")), "{target}");
                }
            }
            followed += 1;
        }
    }
    assert!(followed > 40, "only {followed} links followed");
}

/// Chromium, when there is one: `INFRALENS_CHROMIUM`, else `chromium` or
/// `chromium-browser` on the PATH.
fn chromium() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("INFRALENS_CHROMIUM") {
        return Some(PathBuf::from(path));
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| [d.join("chromium"), d.join("chromium-browser")])
        .find(|p| p.is_file())
}

/// Runs headless Chromium on `url` with `args` (as this machine's network wants it: no
/// background connections), in a fresh profile.
fn headless(browser: &Path, args: &[&str], url: &str) -> std::process::Output {
    let profile = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("chromium-profile-{}", std::process::id()));
    std::process::Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs")
}

#[test]
fn pages_render_in_a_real_browser() {
    let Some(browser) = chromium() else {
        assert!(
            std::env::var_os("INFRALENS_REQUIRE_BROWSER").is_none(),
            "INFRALENS_REQUIRE_BROWSER is set, but no Chromium was found"
        );
        println!("skipped: no Chromium (install Debian's `chromium`, or set INFRALENS_CHROMIUM)");
        return;
    };
    let dir = book("book-browser");
    let shots = Path::new(env!("CARGO_TARGET_TMPDIR")).join("book-screenshots");
    let _ = std::fs::create_dir_all(&shots);
    let c = catalog().expect("catalog");
    let pages: Vec<String> = ["index.html".to_owned(), "rules.html".to_owned()]
        .into_iter()
        .chain(c.labs.iter().map(|l| format!("lab-{}.html", l.id)))
        .collect();
    for page in &pages {
        let page = page.as_str();
        let url = format!("file://{}", dir.join(page).display());
        // The DOM after rendering: the sections and the diagrams are there, as elements.
        let dom = headless(&browser, &["--dump-dom"], &url);
        let dom = String::from_utf8_lossy(&dom.stdout);
        assert!(dom.contains("InfraLens handbook"), "{page}: {dom:.400}");
        if page.starts_with("lab-") {
            assert!(
                dom.contains("<h2 id=\"concept-goal\">Concept goal</h2>"),
                "{page}"
            );
            assert!(dom.contains("<svg"), "{page}: no diagram in the DOM");
            assert!(dom.contains("<pre class=\"terminal\">"), "{page}");
        }
        if page == "lab-02.html" {
            // The diagram is drawn from elements the browser parsed, with their labels.
            for label in [
                "projected: (B, S, D)",
                "matmul over D",
                "w: (D, D)",
                "256 params",
            ] {
                assert!(
                    dom.contains(label),
                    "Lab 02's rendered diagram lacks `{label}`"
                );
            }
        }
        // A screenshot of the index and of two labs (each launch of Chromium costs a
        // second or so): a PNG of the page, not blank.
        if !matches!(page, "index.html" | "lab-02.html" | "lab-07.html") {
            continue;
        }
        let png = shots.join(page.replace(".html", ".png"));
        let _ = std::fs::remove_file(&png);
        let out = headless(
            &browser,
            &[
                &format!("--screenshot={}", png.display()),
                "--window-size=1280,2400",
            ],
            &url,
        );
        let bytes = std::fs::read(&png).unwrap_or_else(|_| {
            panic!(
                "{page}: no screenshot: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
        assert!(bytes.starts_with(b"\x89PNG"), "{page}: not a PNG");
        assert!(
            bytes.len() > 20_000,
            "{page}: a blank screenshot ({} bytes)",
            bytes.len()
        );
        println!(
            "{page}: screenshot {} ({} bytes)",
            png.display(),
            bytes.len()
        );
    }
    // At phone width (400 px), no page is wider than the screen: tables, code and diagrams
    // scroll inside themselves (Lab 03 was 846 px wide) (issue 26). The width is read by a
    // script added to a copy of each page.
    for page in &pages {
        let html = std::fs::read_to_string(dir.join(page)).expect("page");
        let probe = html.replace(
            "</body>",
            "<script>document.body.setAttribute('data-width', document.documentElement.scrollWidth + ' ' + window.innerWidth)</script>\n</body>",
        );
        let copy = dir.join(format!("probe-{page}"));
        std::fs::write(&copy, probe).expect("write");
        let dom = headless(
            &browser,
            &["--dump-dom", "--window-size=400,900"],
            &format!("file://{}", copy.display()),
        );
        let dom = String::from_utf8_lossy(&dom.stdout);
        // (Chromium keeps a window at least 500 px wide: the page's width against the
        // window's, as measured.)
        let measured: Vec<u32> = dom
            .split("data-width=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .map(|w| w.split(' ').filter_map(|n| n.parse().ok()).collect())
            .unwrap_or_default();
        let [width, window] = measured[..] else {
            panic!("{page}: no width measured: {dom:.300}");
        };
        assert!(
            window <= 600,
            "{page}: a window of {window} px, not a phone's"
        );
        assert!(
            width <= window,
            "{page} is {width} px wide in a {window} px window"
        );
        let _ = std::fs::remove_file(&copy);
    }
    // The diagram alone, as `explain --format svg` writes it, renders too.
    let svg = shots.join("qkv-walkthrough.svg");
    let (code, out, err) = infralens(
        &repo(),
        &[
            "explain",
            "examples/qkv_walkthrough.rs::attend",
            "--format",
            "svg",
        ],
    );
    assert_eq!(code, 0, "{err}");
    std::fs::write(&svg, out).expect("write");
    let dom = headless(
        &browser,
        &["--dump-dom"],
        &format!("file://{}", svg.display()),
    );
    assert!(String::from_utf8_lossy(&dom.stdout).contains("ctx: (B, H, S, Dh)"));
}

/// The diagram the README shows is the one `explain` draws today: regenerate it with
/// `scripts/diagram.sh`.
#[test]
fn the_readme_diagram_is_current() {
    let (code, out, err) = infralens(
        &repo(),
        &[
            "explain",
            "labs/04-merge-and-counting/merge.rs::attention",
            "--format",
            "svg",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let committed = std::fs::read_to_string(repo().join("docs/attention-diagram.svg"))
        .expect("docs/attention-diagram.svg");
    assert_eq!(
        committed, out,
        "run scripts/diagram.sh and commit the result"
    );
    let readme = std::fs::read_to_string(repo().join("README.md")).expect("README");
    assert!(readme.contains("docs/attention-diagram.svg"));
}

/// Each lab starter's diagrams state the cost the starter counts as it runs: the example
/// prints `cost of FUNCTION[ at DIM = n, …]: F FLOPs, P weight parameters` (counted by
/// `infralens::cost::count`), and the diagram of that function, at those sizes, totals the
/// same — for every annotated function of all eight starters. The handbook's own diagram
/// (the declared sizes) states the same parameters.
#[test]
fn every_lab_diagram_totals_what_its_starter_counts() {
    use infralens_cli::{book::annotated_functions, diagram, explain::explain_at};
    // `cargo test` builds the root package's examples next to this test's binary.
    let exe = std::env::current_exe().expect("this test's path");
    let examples = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>")
        .join("examples");
    let mut compared = 0;
    for lab in &catalog().expect("catalog").labs {
        let dir = repo().join("labs").join(&lab.dir);
        let starter = std::fs::read_dir(&dir)
            .expect("lab dir")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .find(|p| p.extension().is_some_and(|e| e == "rs"))
            .expect("a starter");
        let stem = starter.file_stem().and_then(|s| s.to_str()).expect("name");
        let example = examples.join(format!(
            "lab{}_{stem}{}",
            lab.id,
            std::env::consts::EXE_SUFFIX
        ));
        assert!(
            example.is_file(),
            "{} is not built: run this test through `cargo test` (which builds the examples), or `cargo build --examples` first",
            example.display()
        );
        let run = std::process::Command::new(&example)
            .output()
            .expect("the starter runs");
        assert!(
            run.status.success(),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        let stdout = String::from_utf8_lossy(&run.stdout);
        let text = std::fs::read_to_string(&starter).expect("starter");
        let mut seen: HashSet<String> = HashSet::new();
        for line in stdout
            .lines()
            .filter_map(|l| l.trim().strip_prefix("cost of "))
        {
            let (head, counts) = line.split_once(": ").expect("`cost of F: …`");
            let (function, at) = match head.split_once(" at ") {
                Some((f, at)) => (f, at),
                None => (head, ""),
            };
            let sizes: Vec<(String, u64)> = at
                .split(", ")
                .filter(|s| !s.is_empty())
                .map(|s| {
                    let (d, n) = s.split_once(" = ").expect("DIM = n");
                    (d.to_owned(), n.parse().expect("a size"))
                })
                .collect();
            let numbers: Vec<u128> = counts
                .split_whitespace()
                .filter_map(|w| w.parse().ok())
                .collect();
            let [flops, params] = numbers[..] else {
                panic!("`{line}`: expected `F FLOPs, P weight parameters`");
            };
            let target = format!("{}::{function}", starter.display());
            let w = explain_at(&target, &sizes).expect("explained");
            assert_eq!(
                w.totals(),
                (Some(flops), params),
                "Lab {}: the diagram of `{function}` at {sizes:?} disagrees with what the starter counted",
                lab.id
            );
            let svg = diagram::svg(&w);
            let total = diagram::total_line(&w).replace(',', "");
            assert!(
                svg.replace(',', "").contains(&total) && total.contains(&format!("{flops} FLOPs")),
                "Lab {}: `{total}` not in the diagram of `{function}`",
                lab.id
            );
            let declared = explain_at(&target, &[]).expect("explained");
            assert_eq!(declared.totals().1, params, "Lab {}: {function}", lab.id);
            seen.insert(function.to_owned());
            compared += 1;
        }
        for function in annotated_functions(&text) {
            assert!(
                seen.contains(&function),
                "Lab {}: the starter does not print the cost of `{function}`, whose diagram the handbook draws",
                lab.id
            );
        }
    }
    assert!(compared >= 12, "{compared} diagrams compared");
}
