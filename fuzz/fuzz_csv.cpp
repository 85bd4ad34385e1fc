// libFuzzer target: the CSV loader on arbitrary bytes. Any input either parses into a data set
// whose shape is consistent, or throws gradflow::Error with a message naming the line; nothing
// else (no crash, no other exception, no sanitizer finding).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include <gradflow/nn/train.hpp>
#include <gradflow/ops/errors.hpp>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const gradflow::train::Dataset d = gradflow::train::parse_csv(text, "fuzz.csv");
    if (d.x.size() != d.size() * d.features) std::abort();
  } catch (const gradflow::Error& e) {
    if (std::string_view(e.what()).find("fuzz.csv") == std::string_view::npos) std::abort();
  }
  return 0;
}
