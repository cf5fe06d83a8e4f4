//! The widget files that `cargo xtask build` writes, served as the embed snippet loads them.

use std::collections::HashMap;
use std::path::Path;

use axum::body::Bytes;

pub struct Asset {
    pub bytes: Bytes,
    pub content_type: &'static str,
    /// The same file compressed ahead of time by `cargo xtask build` (`NAME.br`, `NAME.gz`).
    pub brotli: Option<Bytes>,
    pub gzip: Option<Bytes>,
}

/// The build output held in memory: a handful of small files served on every page view.
#[derive(Default)]
pub struct WidgetAssets {
    files: HashMap<String, Asset>,
    /// `manifest.json`: what each hashed file is (`glue`, `wasm`, `css`, `views`, `recorder`).
    names: HashMap<String, String>,
}

impl WidgetAssets {
    /// Loads every file of `dir`. A missing directory yields no assets (the API still works;
    /// `embed.js` answers 503 saying how to build it).
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let mut files = HashMap::new();
        let mut compressed = Vec::new();
        let entries = match std::fs::read_dir(dir) {
            Ok(entries) => entries,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(error) => return Err(error),
        };
        for entry in entries {
            let entry = entry?;
            let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                continue;
            };
            if let Some(base) = name.strip_suffix(".br").or_else(|| name.strip_suffix(".gz")) {
                compressed.push((
                    base.to_owned(),
                    name.ends_with(".br"),
                    Bytes::from(std::fs::read(entry.path())?),
                ));
                continue;
            }
            let Some(content_type) = content_type(&name) else {
                continue;
            };
            let bytes = Bytes::from(std::fs::read(entry.path())?);
            files.insert(name, Asset { bytes, content_type, brotli: None, gzip: None });
        }
        for (base, is_brotli, bytes) in compressed {
            if let Some(asset) = files.get_mut(&base) {
                if is_brotli {
                    asset.brotli = Some(bytes);
                } else {
                    asset.gzip = Some(bytes);
                }
            }
        }
        let names = match files.get("manifest.json") {
            Some(manifest) => serde_json::from_slice(&manifest.bytes).map_err(|error| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidData,
                    format!("{}: {error}", dir.join("manifest.json").display()),
                )
            })?,
            None => HashMap::new(),
        };
        Ok(Self { files, names })
    }

    /// The hashed name of the widget's stylesheet, which the server-rendered views link too.
    pub fn stylesheet(&self) -> Option<&str> {
        self.names.get("css").map(String::as_str)
    }

    /// The hashed name of the video recorder, which the collection page imports when a visitor
    /// adds a video (the widget gets it from `embed.js`).
    pub fn recorder(&self) -> Option<&str> {
        self.names.get("recorder").map(String::as_str)
    }

    pub fn get(&self, name: &str) -> Option<&Asset> {
        self.files.get(name)
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

fn content_type(name: &str) -> Option<&'static str> {
    match name.rsplit_once('.')?.1 {
        "js" => Some("text/javascript; charset=utf-8"),
        "wasm" => Some("application/wasm"),
        "css" => Some("text/css; charset=utf-8"),
        "json" => Some("application/json"),
        _ => None,
    }
}
