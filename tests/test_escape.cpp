// The views' escapers (views/escape.hpp) on hostile input: quotes, markup, control bytes,
// malformed UTF-8 and "</script>". Expected strings are written out by hand.
#include <map>
#include <string>
#include <string_view>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include <gradflow/ops/errors.hpp>
#include <gradflow/views/chart.hpp>
#include <gradflow/views/escape.hpp>

namespace gf = gradflow;
using namespace std::string_literals;

namespace {
constexpr std::string_view kFFFD = "\xef\xbf\xbd";  // U+FFFD in UTF-8

bool ascii_only(std::string_view s) {
  for (const char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  return true;
}
}  // namespace

TEST_CASE("escape: UTF-8 validation and repair") {
  CHECK(gf::valid_utf8(""));
  CHECK(gf::valid_utf8("plain"));
  CHECK(gf::valid_utf8("\xcf\x83 na\xc3\xafve \xf0\x9f\x98\x80"));  // σ, ï, 😀
  CHECK(gf::valid_utf8(kFFFD));                                     // U+FFFD itself is valid
  CHECK_FALSE(gf::valid_utf8("\xff"));                              // never a UTF-8 byte
  CHECK_FALSE(gf::valid_utf8("cut \xe2\x82"));                      // truncated sequence
  CHECK_FALSE(gf::valid_utf8("\x80"));                              // stray continuation
  CHECK_FALSE(gf::valid_utf8("\xc0\xaf"));                          // overlong '/'
  CHECK_FALSE(gf::valid_utf8("\xed\xa0\x80"));                      // surrogate U+D800
  CHECK_FALSE(gf::valid_utf8("\xf4\x90\x80\x80"));                  // above U+10FFFF

  CHECK(gf::repair_utf8("ok \xcf\x83") == "ok \xcf\x83");
  CHECK(gf::repair_utf8("\xff\xfe bad") == std::string(kFFFD) + std::string(kFFFD) + " bad");
  CHECK(gf::repair_utf8("cut \xe2\x82") == "cut " + std::string(kFFFD) + std::string(kFFFD));
  CHECK(gf::repair_utf8("\xc0\xaf") == std::string(kFFFD) + std::string(kFFFD));
  CHECK(gf::valid_utf8(gf::repair_utf8("\xed\xa0\x80 \x80 \xf8\x88\x80\x80\x80")));
  CHECK(gf::repair_utf8("nul\0byte"s) == "nul\0byte"s);  // valid UTF-8; escapers decide about it

  std::size_t i = 0;
  CHECK(gf::next_code_point("\xf0\x9f\x98\x80!", i) == U'\U0001F600');
  CHECK(i == 4);
  i = 0;
  CHECK(gf::next_code_point("\xe2\x82", i) == gf::replacement_character);
  CHECK(i == 1);  // one byte at a time
}

TEST_CASE("escape: XML and SVG text and attributes") {
  CHECK(gf::xml_escape("plain text") == "plain text");
  CHECK(gf::xml_escape(R"(<a href="x">'&'</a>)") ==
        "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  CHECK(gf::xml_escape("&amp;") == "&amp;amp;");              // no double meaning
  CHECK(gf::xml_escape("\xcf\x83") == "\xcf\x83");            // UTF-8 stays UTF-8
  CHECK(gf::xml_escape("tab\tnl\ncr\r") == "tab\tnl\ncr\r");  // allowed by XML 1.0
  // Other control characters are not allowed in XML 1.0 at all, not even as references.
  // (fmt rather than std::string + ...: GCC 12 warns falsely, -Wrestrict, on that chain)
  CHECK(gf::xml_escape("a\x01z\x1b[31m") == fmt::format("a{}z{}[31m", kFFFD, kFFFD));
  CHECK(gf::xml_escape("nul\0"s) == "nul" + std::string(kFFFD));
  CHECK(gf::xml_escape("\xff") == kFFFD);
  CHECK(gf::xml_escape("\xef\xbf\xbe") == kFFFD);  // U+FFFE, a non-character XML forbids
  CHECK(gf::xml_escape("</script><!--") == "&lt;/script&gt;&lt;!--");
  // The charts' name for it is the same function.
  CHECK(gf::plot::xml_escape("<&>") == "&lt;&amp;&gt;");
}

TEST_CASE("escape: Graphviz HTML-like labels") {
  CHECK(gf::dot_html("plain") == "plain");
  CHECK(gf::dot_html(R"(<B>"x" & 'y'</B>)") ==
        "&lt;B&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/B&gt;");
  CHECK(gf::dot_html(R"(\N \G)") == R"(\\N \\G)");  // not expanded to names
  CHECK(gf::dot_html("line\nbreak\ttab\x1b") == R"(line\\nbreak\\ttab\\x1b)");
  CHECK(gf::dot_html("\xcf\x83") == "&#963;");
  CHECK(gf::dot_html("\xff!") == "&#65533;!");
  CHECK(gf::dot_html("\xef\xbf\xbe") == "&#65533;");
  CHECK(ascii_only(gf::dot_html("\xf0\x9f\x98\x80 \xc3\xaf \xe2\x82")));
}

TEST_CASE("escape: Graphviz quoted strings") {
  CHECK(gf::dot_string("plain") == "\"plain\"");
  CHECK(gf::dot_string("") == "\"\"");
  CHECK(gf::dot_string(R"(a"b)") == R"("a\"b")");
  CHECK(gf::dot_string(R"(back\slash)") == R"("back\\\\slash")");  // un-escaped twice
  CHECK(gf::dot_string("a&b <c>") == "\"a&amp;b <c>\"");  // entities are decoded: & escaped
  CHECK(gf::dot_string("x\ny") == R"("x\\\\ny")");        // a visible \n, not a line break
  CHECK(gf::dot_string("\xcf\x83\xff") == "\"&#963;&#65533;\"");
  CHECK(gf::dot_string("]; node [shape=none") == "\"]; node [shape=none\"");
  CHECK(ascii_only(gf::dot_string("\xf0\x9f\x98\x80 \x01")));
}

TEST_CASE("escape: the dump's own text in ASCII, and CSS class names") {
  CHECK(gf::dot_ascii("<B>\xe2\x88\x82 0.5</B>") == "<B>&#8706; 0.5</B>");  // markup kept
  CHECK(gf::dot_ascii("\xff") == "&#65533;");
  CHECK(gf::css_token("neuron") == "neuron");
  CHECK(gf::css_token("my layer\"><script>") == "my_layer___script_");
  CHECK(gf::css_token("") == "group");
}

TEST_CASE("escape: a JSON document made safe inside <script>") {
  const auto js = [](std::string_view s) { return gf::script_safe_json(s); };
  CHECK(js(R"({"a":[1,2],"b":"plain"})") == R"({"a":[1,2],"b":"plain"})");
  CHECK(js(R"(["</script><script>alert(1)</script>"])") ==
        R"(["\u003c/script\u003e\u003cscript\u003ealert(1)\u003c/script\u003e"])");
  CHECK(js(R"(["<!-- & -->"])") == R"(["\u003c!-- \u0026 --\u003e"])");
  CHECK(js("[\"\xe2\x80\xa8\xe2\x80\xa9\"]") == R"(["\u2028\u2029"])");
  CHECK(js("[\"\xcf\x83 \xf0\x9f\x98\x80\"]") == "[\"\xcf\x83 \xf0\x9f\x98\x80\"]");  // UTF-8 kept
}

TEST_CASE("escape: fill_template fills each placeholder once and never rescans what it put in") {
  const std::map<std::string, std::string, std::less<>> parts{{"a", "{{b}}"}, {"b", "B"}};
  CHECK(gradflow::fill_template("<{{a}}|{{b}}>", parts, "t.html") == "<{{b}}|B>");
  CHECK(gradflow::fill_template("no marks", parts, "t.html") == "no marks");
  CHECK_THROWS_WITH_AS(gradflow::fill_template("x {{c}}", parts, "t.html"),
                       "gradflow: t.html: unknown placeholder 'c'", gradflow::Error);
}
