#include <gradflow/views/escape.hpp>

#include <cstdint>

#include <fmt/format.h>

#include <gradflow/ops/errors.hpp>

namespace gradflow {
namespace {

// Characters XML 1.0 allows (an SVG is XML); the rest become U+FFFD.
bool xml_char(char32_t cp) {
  return cp == '\t' || cp == '\n' || cp == '\r' || (cp >= 0x20 && cp <= 0xD7FF) ||
         (cp >= 0xE000 && cp <= 0xFFFD) || (cp >= 0x10000 && cp <= 0x10FFFF);
}

// The entity of a character XML gives meaning to, or nullptr.
const char* xml_entity(char32_t cp) {
  switch (cp) {
    case '&':
      return "&amp;";
    case '<':
      return "&lt;";
    case '>':
      return "&gt;";
    case '"':
      return "&quot;";
    case '\'':
      return "&#39;";
    default:
      return nullptr;
  }
}

bool is_control(char32_t cp) { return cp < 0x20 || cp == 0x7F; }

// A control character as the C escape a programmer would type: \n, \t, \x1b.
std::string control_escape(char32_t c) {
  switch (c) {
    case '\n':
      return "\\n";
    case '\t':
      return "\\t";
    case '\r':
      return "\\r";
    default:
      return fmt::format("\\x{:02x}", static_cast<unsigned>(c));
  }
}

void append_utf8(std::string& out, char32_t cp) {
  const auto byte = [&](std::uint32_t b) { out += static_cast<char>(b); };
  const auto c = static_cast<std::uint32_t>(cp);
  if (c < 0x80) {
    byte(c);
  } else if (c < 0x800) {
    byte(0xC0 | (c >> 6));
    byte(0x80 | (c & 0x3F));
  } else if (c < 0x10000) {
    byte(0xE0 | (c >> 12));
    byte(0x80 | ((c >> 6) & 0x3F));
    byte(0x80 | (c & 0x3F));
  } else {
    byte(0xF0 | (c >> 18));
    byte(0x80 | ((c >> 12) & 0x3F));
    byte(0x80 | ((c >> 6) & 0x3F));
    byte(0x80 | (c & 0x3F));
  }
}

// A numeric character reference, which Graphviz decodes in labels and tooltips alike.
std::string char_ref(char32_t cp) {
  return fmt::format("&#{};",
                     static_cast<std::uint32_t>(xml_char(cp) ? cp : replacement_character));
}

}  // namespace

char32_t next_code_point(std::string_view s, std::size_t& i) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  std::size_t len = 0;
  char32_t cp = 0, min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1Fu, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0Fu, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07u, min = 0x10000;
  } else {
    ++i;
    return replacement_character;
  }
  if (i + len > s.size()) {
    ++i;
    return replacement_character;
  }
  for (std::size_t k = 1; k < len; ++k) {
    if ((byte(i + k) & 0xC0) != 0x80) {
      ++i;
      return replacement_character;
    }
    cp = (cp << 6) | (byte(i + k) & 0x3Fu);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return replacement_character;
  }
  i += len;
  return cp;
}

bool valid_utf8(std::string_view s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t at = i;
    // U+FFFD is a valid character when its own three bytes spell it.
    if (next_code_point(s, i) == replacement_character && i - at != 3) return false;
  }
  return true;
}

std::string repair_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) append_utf8(out, next_code_point(s, i));
  return out;
}

std::string xml_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const char32_t cp = next_code_point(s, i);
    if (const char* entity = xml_entity(cp))
      out += entity;
    else
      append_utf8(out, xml_char(cp) ? cp : replacement_character);
  }
  return out;
}

std::string dot_html(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const char32_t cp = next_code_point(s, i);
    if (is_control(cp)) {  // \\n: Graphviz shows a backslash and an n
      out += '\\';
      out += control_escape(cp);
    } else if (cp >= 0x80) {
      out += char_ref(cp);
    } else if (cp == '\\') {  // Graphviz expands \N, \G, \E in labels; \\ is a backslash
      out += R"(\\)";
    } else if (const char* entity = xml_entity(cp)) {
      out += entity;
    } else {
      out += static_cast<char>(cp);
    }
  }
  return out;
}

std::string dot_string(std::string_view s) {
  constexpr std::string_view backslash = R"(\\\\)";
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size();) {
    const char32_t cp = next_code_point(s, i);
    if (is_control(cp)) {
      const std::string text = control_escape(cp);  // a visible \n, not a line break
      out += backslash;
      out += text.substr(1);
    } else if (cp == '"') {
      out += "\\\"";
    } else if (cp == '\\') {
      out += backslash;
    } else if (cp == '&') {
      out += "&amp;";
    } else if (cp < 0x80) {
      out += static_cast<char>(cp);
    } else {
      out += char_ref(cp);
    }
  }
  return out + "\"";
}

std::string dot_ascii(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const char32_t cp = next_code_point(s, i);
    if (cp < 0x80)
      out += static_cast<char>(cp);
    else
      out += char_ref(cp);
  }
  return out;
}

std::string css_token(std::string_view s) {
  std::string out;
  for (const char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '_';
    out += ok ? c : '_';
  }
  return out.empty() ? "group" : out;
}

std::string script_safe_json(std::string_view json_text) {
  // '<', '>' and '&' occur only inside JSON strings, where \u003c, \u003e and \u0026 mean the
  // same; U+2028 and U+2029 (line terminators to older JavaScript) likewise.
  std::string out;
  out.reserve(json_text.size() + 64);
  for (std::size_t i = 0; i < json_text.size(); ++i) {
    const char c = json_text[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xe2' && i + 2 < json_text.size() && json_text[i + 1] == '\x80' &&
               (json_text[i + 2] == '\xa8' || json_text[i + 2] == '\xa9')) {
      out += json_text[i + 2] == '\xa8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

std::string fill_template(std::string_view page,
                          const std::map<std::string, std::string, std::less<>>& parts,
                          std::string_view source) {
  std::string out;
  std::size_t at = 0;
  while (true) {
    const std::size_t open = page.find("{{", at);
    if (open == std::string_view::npos) break;
    const std::size_t close = page.find("}}", open + 2);
    if (close == std::string_view::npos) break;
    const std::string_view name = page.substr(open + 2, close - open - 2);
    const auto it = parts.find(name);
    if (it == parts.end())
      throw Error(fmt::format("gradflow: {}: unknown placeholder '{}'", source, name));
    out.append(page.substr(at, open - at));
    out += it->second;
    at = close + 2;
  }
  out.append(page.substr(at));
  return out;
}

}  // namespace gradflow
