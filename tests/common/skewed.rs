//! A skewed corpus, for the scaling test and benchmark: `n` pages that all carry one theme,
//! plus one page carrying 1,000 themes, in a section sorted by date, with paginated taxonomy
//! pages and feeds. A listing, taxonomy or related-pages step that is quadratic in pages or
//! terms shows on it.

use std::fmt::Write as _;
use std::path::Path;

/// Themes of the one page that has many.
pub const MANY: usize = 1000;

pub fn write(root: &Path, n: usize) -> std::io::Result<()> {
    let content = root.join("content/notes");
    let templates = root.join("templates");
    std::fs::create_dir_all(&content)?;
    std::fs::create_dir_all(&templates)?;
    std::fs::write(
        root.join("config.toml"),
        "base_url = \"https://example.org\"\ntitle = \"Skewed\"\ngenerate_feeds = true\n\
         taxonomies = [{ name = \"theme\", paginate_by = 50, feed = true }]\n",
    )?;
    std::fs::write(
        content.join("_index.md"),
        "+++\ntitle = \"Notes\"\nsort_by = \"date\"\npaginate_by = 50\n+++\n",
    )?;
    std::fs::write(
        root.join("content/_index.md"),
        "+++\ntitle = \"Home\"\n+++\n",
    )?;
    for i in 0..n {
        std::fs::write(
            content.join(format!("note-{i:06}.md")),
            format!(
                "+++\ntitle = \"Note {i}\"\ndate = 2020-01-{:02}\n\n[taxonomies]\ntheme = [\"everywhere\", \"t{}\"]\n+++\n\
                 Text of note {i}, with a [link](https://example.org/{i}).\n",
                1 + i % 28,
                i % 50
            ),
        )?;
    }
    let mut themes = String::new();
    for t in 0..MANY {
        let _ = write!(themes, "\"many-{t}\", ");
    }
    std::fs::write(
        content.join("many-themes.md"),
        format!(
            "+++\ntitle = \"Many themes\"\ndate = 2020-02-01\n\n[taxonomies]\ntheme = [{themes}\"everywhere\"]\n+++\nMany.\n"
        ),
    )?;
    let page = "<h1>{{ page.title }}</h1>{% for t in page.taxonomies.theme %}<a href=\"{{ get_taxonomy_url(kind='theme', name=t) }}\">{{ t }}</a>{% endfor %}{{ page.content | safe }}\
                {% if page.lower %}<a href=\"{{ page.lower.permalink }}\">prev</a>{% endif %}";
    let list = "<h1>{{ section.title }}</h1>{% for p in paginator.pages %}<a href=\"{{ p.permalink }}\">{{ p.title }}</a>{% endfor %}";
    std::fs::write(templates.join("page.html"), page)?;
    std::fs::write(templates.join("section.html"), list)?;
    std::fs::write(templates.join("index.html"), "<h1>{{ section.title }}</h1>")?;
    std::fs::write(
        templates.join("taxonomy_list.html"),
        "{% for t in terms %}<a href=\"{{ t.permalink }}\">{{ t.name }} ({{ t.page_count }})</a>{% endfor %}",
    )?;
    std::fs::write(
        templates.join("taxonomy_single.html"),
        "<h1>{{ term.name }}</h1>{% for p in paginator.pages %}<a href=\"{{ p.permalink }}\">{{ p.title }}</a>{% endfor %}",
    )?;
    Ok(())
}
