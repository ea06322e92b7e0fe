//! Zola's `markdown` filter and the shortcode renderer the Markdown pipeline calls.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde_json::Value as Json;
use tera::{Context, Error, Filter, Result, Tera};

use super::functions::SiteData;
use crate::incremental::Recorder;
use crate::markdown::{self, MarkdownContext, ShortcodeKind, Shortcodes};

/// Renders `templates/shortcodes/<name>.html|.md` with the call's arguments.
pub struct TeraShortcodes<'a> {
    pub tera: &'a Tera,
    pub base: Context,
}

impl Shortcodes for TeraShortcodes<'_> {
    fn kind(&self, name: &str) -> Option<ShortcodeKind> {
        if super::exists(self.tera, &format!("shortcodes/{name}.md")) {
            Some(ShortcodeKind::Markdown)
        } else if super::exists(self.tera, &format!("shortcodes/{name}.html")) {
            Some(ShortcodeKind::Html)
        } else {
            None
        }
    }

    fn render(
        &self,
        name: &str,
        kind: ShortcodeKind,
        args: &serde_json::Map<String, Json>,
        body: Option<&str>,
        nth: usize,
    ) -> std::result::Result<String, String> {
        let mut ctx = self.base.clone();
        for (k, v) in args {
            ctx.insert(k.as_str(), v);
        }
        ctx.insert("nth", &nth);
        if let Some(b) = body {
            ctx.insert("body", b);
        }
        let ext = match kind {
            ShortcodeKind::Markdown => "md",
            ShortcodeKind::Html => "html",
        };
        self.tera
            .render(&format!("shortcodes/{name}.{ext}"), &ctx)
            .map_err(|e| super::tera_error_chain(&e))
    }
}

/// `{{ text | markdown(inline=false) }}`.
pub struct MarkdownFilter {
    pub data: Arc<SiteData>,
    /// The site's templates, without functions or filters.
    pub templates: Arc<Tera>,
    /// Where the functions called by shortcodes are recorded (incremental builds).
    pub recorder: Option<Arc<Recorder>>,
    /// The templates with the site functions but not this filter, for shortcodes inside the
    /// text: made the first time a text may call one.
    pub shortcodes: OnceLock<Tera>,
}

impl MarkdownFilter {
    fn shortcode_templates(&self) -> &Tera {
        self.shortcodes.get_or_init(|| {
            let mut tera = Tera::clone(&self.templates);
            super::functions::register(&mut tera, &self.data, self.recorder.as_ref());
            tera
        })
    }
}

impl Filter for MarkdownFilter {
    fn filter(&self, value: &Json, args: &HashMap<String, Json>) -> Result<Json> {
        let text = value
            .as_str()
            .ok_or_else(|| Error::msg("`markdown` filter: the value must be a string"))?;
        let inline = args.get("inline").and_then(Json::as_bool).unwrap_or(false);
        let config = &self.data.config;
        let sc = markdown::may_call_shortcodes(text).then(|| {
            let mut base = Context::new();
            base.insert("config", &config.to_template_json(&config.default_language));
            base.insert("lang", &config.default_language);
            TeraShortcodes {
                tera: self.shortcode_templates(),
                base,
            }
        });
        let ctx = MarkdownContext {
            config,
            permalink: "",
            relative_path: "",
            permalinks: &*self.data.library,
            highlighter: None,
            shortcodes: sc.as_ref().map(|s| s as &dyn markdown::Shortcodes),
            summary_cutoff: "&hellip;",
            // Text from templates (often from front matter): kept, but sanitised.
            raw_html: markdown::RawHtml::Sanitize,
        };
        // Shortcodes' templates are not those whose reads the caller's pages were built for.
        let rendered = self.data.rendering(super::reads::PageFields::ALL, || {
            markdown::render(text, &ctx)
        });
        let rendered = rendered.map_err(|errs| {
            Error::msg(
                errs.into_iter()
                    .map(|e| e.message)
                    .collect::<Vec<_>>()
                    .join("; "),
            )
        })?;
        let html: &str = &rendered.html;
        let html = if inline {
            html.trim_start_matches("<p>")
                .trim_end()
                .trim_end_matches("</p>")
        } else {
            html
        };
        Ok(Json::String(html.to_string()))
    }

    fn is_safe(&self) -> bool {
        true
    }
}
