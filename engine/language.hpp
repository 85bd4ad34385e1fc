// The language of the library's own words: explain()'s findings, and the views' titles, legends,
// captions and labels. Numbers, node names and op names are the same in every language.
#pragma once

#include <cstdint>

namespace gradflow {

/// English (the default) or Chinese (简体中文). Views that write words take it in their options.
enum class Language : std::uint8_t { en, zh };

/// The BCP 47 tag of a language, for `<html lang="...">`: "en" or "zh-CN".
constexpr const char* language_tag(Language l) { return l == Language::zh ? "zh-CN" : "en"; }

}  // namespace gradflow
