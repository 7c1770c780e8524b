//! The server's state, free of protocol types: documents, configuration, workspace roots.
//!
//! Handlers that mutate it (document sync, configuration) are synchronous; slow work takes
//! a snapshot and runs elsewhere.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use crate::config::{Config, ConfigError, Sources};
use crate::document::DocumentStore;
use crate::text::PositionEncoding;

#[derive(Debug, Default)]
pub struct Session {
    pub documents: DocumentStore,
    encoding: OnceLock<PositionEncoding>,
    config: RwLock<Arc<Config>>,
    sources: Mutex<Sources>,
    roots: RwLock<Vec<PathBuf>>,
}

impl Session {
    pub fn new() -> Session {
        Session::default()
    }

    pub fn set_encoding(&self, encoding: PositionEncoding) {
        let _ = self.encoding.set(encoding);
    }

    pub fn encoding(&self) -> PositionEncoding {
        self.encoding.get().copied().unwrap_or_default()
    }

    pub fn config(&self) -> Arc<Config> {
        self.config
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }

    pub fn roots(&self) -> Vec<PathBuf> {
        self.roots
            .read()
            .unwrap_or_else(|poison| poison.into_inner())
            .clone()
    }

    pub fn set_roots(&self, roots: Vec<PathBuf>) {
        *self
            .roots
            .write()
            .unwrap_or_else(|poison| poison.into_inner()) = roots;
    }

    /// Replaces the configuration sources and recomputes the effective configuration.
    /// Returns the new configuration and what could not be applied.
    pub fn update_sources(
        &self,
        update: impl FnOnce(&mut Sources),
    ) -> (Arc<Config>, Vec<ConfigError>) {
        let mut sources = self
            .sources
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        update(&mut sources);
        let (config, errors) = sources.resolve();
        let config = Arc::new(config);
        *self
            .config
            .write()
            .unwrap_or_else(|poison| poison.into_inner()) = config.clone();
        (config, errors)
    }
}
