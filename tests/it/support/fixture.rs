//! Feed directories and inventories on disk, for tests that go through the files the way a user's
//! setup does: a [`Fixture`] is a temporary directory with `feeds/`, `inventory/` and `store` in
//! it, filled with [`Native`] advisories (the native TOML format) and an [`Inventory`] written as
//! TOML, and [`Fixture::fw`] is the command pointed at all three.
//!
//! The defaults describe one bug and one array that has it — a NetApp AFF A400 on ONTAP 9.8P3, and
//! an advisory whose takeover fails on ONTAP from 9.8 before 9.8P6 — because most end-to-end tests
//! need exactly one confirmed finding per system and care about where it goes, not what it is.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use firmwatch::collect::FeedDef;
use tempfile::TempDir;

use super::cmd::Fw;

/// A temporary directory holding `feeds/`, `inventory/` and `store`; removed when dropped.
pub struct Fixture {
    dir: TempDir,
}

impl Default for Fixture {
    fn default() -> Fixture {
        Fixture::new()
    }
}

impl Fixture {
    pub fn new() -> Fixture {
        Fixture {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Where the store goes (created by the first command that opens it).
    pub fn store(&self) -> PathBuf {
        self.path().join("store")
    }

    /// The feed directory.
    pub fn feeds(&self) -> PathBuf {
        self.path().join("feeds")
    }

    /// The inventory directory.
    pub fn inventory(&self) -> PathBuf {
        self.path().join("inventory")
    }

    /// Write `text` at `rel` under the directory (parents created); returns the path.
    pub fn file(&self, rel: impl AsRef<Path>, text: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path().join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// The feed definition `feeds/<name>.toml` (the file name is the feed's id unless it says).
    pub fn feed(&self, name: &str, definition: &str) -> &Fixture {
        self.file(Path::new("feeds").join(format!("{name}.toml")), definition);
        self
    }

    /// A `native-dir` feed `id` (synced at most hourly) reading `feeds/native/`, where its
    /// advisories are written as `<id>.toml`.
    pub fn native_feed(&self, id: &str, advisories: &[Native]) -> &Fixture {
        self.feed(
            id,
            &format!(
                "id = \"{id}\"\nkind = \"native-dir\"\npath = \"native\"\nschedule = \"1h\"\n"
            ),
        );
        let text: Vec<String> = advisories.iter().map(Native::toml).collect();
        self.file(
            Path::new("feeds/native").join(format!("{id}.toml")),
            text.join("\n"),
        );
        self
    }

    /// The inventory file `inventory/<name>`.
    pub fn inventory_file(&self, name: &str, text: impl AsRef<str>) -> &Fixture {
        self.file(Path::new("inventory").join(name), text.as_ref());
        self
    }

    /// The feed definitions as `sync` loads them.
    pub fn load_feeds(&self) -> Vec<FeedDef> {
        firmwatch::collect::load_feeds(&self.feeds()).unwrap()
    }

    /// The binary with `--store`, `--feeds` and `--inventory` pointing here.
    pub fn fw(&self) -> Fw {
        Fw::new()
            .store(self.store())
            .feeds(self.feeds())
            .inventory(self.inventory())
    }
}

/// Feed definitions written as `<name>.toml` and loaded; keep the fixture while they are used.
pub fn feeds(defs: &[(&str, String)]) -> (Fixture, Vec<FeedDef>) {
    let fx = Fixture::new();
    for (name, text) in defs {
        fx.feed(name, text);
    }
    let loaded = fx.load_feeds();
    (fx, loaded)
}

/// `s` as a TOML basic string: quotes and backslashes escaped, control characters as `\uXXXX`.
pub fn toml_str(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => write!(out, "\\u{:04X}", u32::from(c)).unwrap(),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn toml_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|s| toml_str(s)).collect();
    format!("[{}]", items.join(", "))
}

/// One advisory in the native format: by default NetApp's ONTAP from 9.8 before 9.8P6 (fixed in
/// 9.8P6), whose takeover can fail on a hardware fault.
#[derive(Clone, Debug)]
pub struct Native {
    id: String,
    title: String,
    summary: String,
    product: String,
    effects: Vec<String>,
    triggers: Vec<String>,
}

impl Native {
    pub fn takeover(id: &str) -> Native {
        Native {
            id: id.to_string(),
            title: "Takeover can fail".into(),
            summary: "Takeover can fail.".into(),
            product: "ONTAP".into(),
            effects: vec!["failover-failure".into()],
            triggers: vec!["hardware-fault".into()],
        }
    }

    pub fn title(mut self, title: &str) -> Native {
        self.title = title.into();
        self
    }

    pub fn summary(mut self, summary: &str) -> Native {
        self.summary = summary.into();
        self
    }

    /// The affected product's name (still matched as ONTAP through its scheme and vendor).
    pub fn product(mut self, product: &str) -> Native {
        self.product = product.into();
        self
    }

    pub fn effects(mut self, effects: &[&str]) -> Native {
        self.effects = effects.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn triggers(mut self, triggers: &[&str]) -> Native {
        self.triggers = triggers.iter().map(|s| s.to_string()).collect();
        self
    }

    /// The `[[advisory]]` table.
    pub fn toml(&self) -> String {
        format!(
            "[[advisory]]\nid = {}\nvendor = \"NetApp\"\ntitle = {}\nsummary = {}\n\
             published = \"2026-01-01\"\nmodified = \"2026-01-01\"\neffects = {}\ntriggers = {}\n\n\
             [[advisory.affected]]\nproduct = {}\ncomponent = \"system\"\nscheme = \"ontap\"\n\
             status = \"affected\"\nversions = \"vers:ontap/>=9.8|<9.8P6\"\nfixed_in = [\"9.8P6\"]\n",
            toml_str(&self.id),
            toml_str(&self.title),
            toml_str(&self.summary),
            toml_list(&self.effects),
            toml_list(&self.triggers),
            toml_str(&self.product),
        )
    }
}

/// An inventory file in TOML, table by table.
#[derive(Clone, Debug, Default)]
pub struct Inventory(String);

impl Inventory {
    pub fn new() -> Inventory {
        Inventory::default()
    }

    fn table(mut self, header: &str) -> Inventory {
        if !self.0.is_empty() {
            self.0.push('\n');
        }
        self.0.push_str(header);
        self.0.push('\n');
        self
    }

    /// A `key = value` line (value as TOML) in the table last added.
    pub fn line(mut self, line: &str) -> Inventory {
        self.0.push_str(line);
        self.0.push('\n');
        self
    }

    /// An owner, reached by `channels`: `email = "…"` and `webhook = { … }` lines (or none).
    pub fn owner(self, id: &str, name: &str, channels: &str) -> Inventory {
        let t = self
            .table("[[owners]]")
            .line(&format!("id = {}", toml_str(id)))
            .line(&format!("name = {}", toml_str(name)));
        if channels.is_empty() {
            t
        } else {
            t.line(channels.trim_end())
        }
    }

    /// A NetApp AFF A400 on ONTAP 9.8P3 (affected by every [`Native`] advisory by default).
    pub fn aff(self, id: &str, name: &str, owner: &str) -> Inventory {
        self.table("[[systems]]")
            .line(&format!("id = {}", toml_str(id)))
            .line(&format!("name = {}", toml_str(name)))
            .line("vendor = \"NetApp\"\nmodel = \"AFF A400\"")
            .line(&format!("owner = {}", toml_str(owner)))
            .line("firmware = \"9.8P3\"")
    }

    /// A service of `users` users depending on `depends_on` (systems or components).
    pub fn service(
        self,
        id: &str,
        name: &str,
        owner: &str,
        users: u64,
        criticality: &str,
        depends_on: &[&str],
    ) -> Inventory {
        let deps: Vec<String> = depends_on.iter().map(|s| s.to_string()).collect();
        self.table("[[services]]")
            .line(&format!("id = {}", toml_str(id)))
            .line(&format!("name = {}", toml_str(name)))
            .line(&format!("owner = {}", toml_str(owner)))
            .line(&format!("users = {users}"))
            .line(&format!("criticality = {}", toml_str(criticality)))
            .line(&format!("depends_on = {}", toml_list(&deps)))
    }
}

impl AsRef<str> for Inventory {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toml_strings_read_back_as_written() {
        for s in [
            "plain",
            "\"q\" \\ <b>",
            "\u{1b}[31mred\r\nBcc: x",
            "tab\there é",
        ] {
            let doc = format!("v = {}", toml_str(s));
            let v: toml::Table = toml::from_str(&doc).unwrap();
            assert_eq!(v["v"].as_str(), Some(s), "{doc}");
        }
    }

    #[test]
    fn the_defaults_load_and_the_advisory_affects_the_array() {
        let fx = Fixture::new();
        fx.native_feed(
            "n",
            &[
                Native::takeover("FIX-1"),
                Native::takeover("FIX-2").title("<b>\"x\"</b>"),
            ],
        );
        fx.inventory_file(
            "estate.toml",
            Inventory::new()
                .owner("ops", "Ops", "email = \"ops@example.net\"")
                .aff("arr", "Array", "ops")
                .service("app", "App", "ops", 10, "high", &["arr"]),
        );
        let defs = fx.load_feeds();
        assert_eq!(defs.len(), 1);
        assert_eq!(defs[0].id.as_str(), "n");
        let inv = firmwatch::inventory::load_path(&fx.inventory()).unwrap();
        assert_eq!((inv.systems.len(), inv.services.len()), (1, 1));
        let run = fx.fw().run_with(&["exposure", "--format", "json"]);
        let v = run.expect(0).json();
        let ids: Vec<&str> = v["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids.len(), 2, "{}", run.show());
        assert!(
            ids.contains(&"FIX-1@arr") && ids.contains(&"FIX-2@arr"),
            "{ids:?}"
        );
        let titles = v["findings"].to_string();
        assert!(titles.contains("<b>\\\"x\\\"</b>"), "{titles}");
    }
}
