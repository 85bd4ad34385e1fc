// Every escaper of the views in one place. Names, titles and labels come from users and are never
// trusted: each function below turns arbitrary bytes (quotes, markup, control characters,
// malformed UTF-8) into text that is valid where it goes and reads as what was meant.
//
//   xml_escape                 SVG/HTML/XML text and attribute values (UTF-8 out)
//   dot_html                   text inside a Graphviz HTML-like label <...> (ASCII out)
//   dot_string                 a Graphviz double-quoted string "..." (ASCII out)
//   dot_ascii                  the dump's own markup, non-ASCII as character references
//   css_token                  one CSS class name
//   script_safe_json           a JSON document that may stand inside HTML <script>
//
// Malformed UTF-8 (overlong forms, surrogates, truncated sequences, stray continuation bytes)
// becomes U+FFFD, one per offending byte, in all of them.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>

namespace gradflow {

/// U+FFFD, which stands for every malformed byte and every character XML forbids.
inline constexpr char32_t replacement_character = 0xFFFD;

/// Decodes the UTF-8 sequence at s[i] and advances i past it; a malformed sequence yields
/// U+FFFD and advances by one byte. Requires i < s.size().
char32_t next_code_point(std::string_view s, std::size_t& i);

/// Whether `s` is well-formed UTF-8.
bool valid_utf8(std::string_view s);

/// `s` with every malformed byte replaced by U+FFFD; well-formed input is returned unchanged.
std::string repair_utf8(std::string_view s);

/// Text for XML, SVG or HTML, as element content or a quoted attribute value: & < > " ' become
/// entities, malformed UTF-8 and the control characters XML 1.0 forbids (all below U+0020 but
/// tab, newline and carriage return) become U+FFFD. Other characters stay UTF-8.
std::string xml_escape(std::string_view s);

/// Text inside a Graphviz HTML-like label: XML entities for & < > " ', backslashes doubled
/// (Graphviz expands \N, \G, \L in labels), control characters shown as their C escapes (a name
/// "a\nb" reads a\nb on one line), everything outside ASCII as a numeric character reference.
std::string dot_html(std::string_view s);

/// A Graphviz double-quoted string, quotes included, as tooltips and classes read it: Graphviz
/// un-escapes a tooltip twice (\\ to \, then \N, \G, \L to names), so a literal backslash is
/// written as four; \" is a quote; & is &amp; (entities are decoded); control characters show as
/// their C escapes; everything outside ASCII as a numeric character reference.
std::string dot_string(std::string_view s);

/// The dump's own text (markup with symbols such as ∂ and ←) as pure ASCII: every character
/// outside ASCII becomes a numeric character reference. Markup characters are left alone.
std::string dot_ascii(std::string_view s);

/// A CSS class name: letters, digits, - and _ kept, everything else '_'; "group" if empty.
std::string css_token(std::string_view s);

/// A serialised JSON document (valid UTF-8, as a JSON library writes it) made safe as the text of
/// an HTML <script> element: < > & (so neither "</script>" nor "<!--" can appear) and U+2028,
/// U+2029 (line terminators to older JavaScript) written as \uXXXX escapes, which mean the same
/// inside JSON strings, the only place they can occur.
std::string script_safe_json(std::string_view json_text);

/// A page template with every {{name}} replaced by parts[name]: the template is scanned once,
/// left to right, so nothing inserted is scanned again. Throws Error naming `source` (the
/// template's file) for a placeholder with no part.
std::string fill_template(std::string_view page,
                          const std::map<std::string, std::string, std::less<>>& parts,
                          std::string_view source);

}  // namespace gradflow
