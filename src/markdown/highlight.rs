//! Code highlighting with syntect, into CSS classes (one generated stylesheet per site).

use syntect::highlighting::ThemeSet;
use syntect::html::{ClassStyle, ClassedHTMLGenerator, css_for_theme_with_class_style};
use syntect::parsing::SyntaxSet;
use syntect::util::LinesWithEndings;

/// Owns the syntax definitions; built once per build when highlighting is on.
pub struct Highlighter {
    syntaxes: SyntaxSet,
    theme: String,
}

pub const CLASS_STYLE: ClassStyle = ClassStyle::SpacedPrefixed { prefix: "z-" };

impl Highlighter {
    pub fn new(theme: &str) -> Highlighter {
        Highlighter {
            syntaxes: SyntaxSet::load_defaults_newlines(),
            theme: theme.to_string(),
        }
    }

    /// The `<pre><code>` of a fenced block, highlighted when the language is known.
    pub fn highlight(&self, code: &str, lang: &str) -> Option<String> {
        let syntax = self.syntaxes.find_syntax_by_token(lang)?;
        let mut generator =
            ClassedHTMLGenerator::new_with_class_style(syntax, &self.syntaxes, CLASS_STYLE);
        for line in LinesWithEndings::from(code) {
            generator
                .parse_html_for_line_which_includes_newline(line)
                .ok()?;
        }
        Some(generator.finalize())
    }

    /// The stylesheet for the classes, from the configured theme (`syntax-theme.css`).
    pub fn stylesheet(&self) -> Option<String> {
        let themes = ThemeSet::load_defaults();
        let theme = themes.themes.get(&self.theme)?;
        css_for_theme_with_class_style(theme, CLASS_STYLE).ok()
    }

    pub fn theme_exists(name: &str) -> bool {
        ThemeSet::load_defaults().themes.contains_key(name)
    }
}
