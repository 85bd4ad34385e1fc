// Headless Chromium (Debian's `chromium`, in .ci/packages-test) for the tests of the pages: the
// DOM after the page's scripts ran, the browser's log (console messages land there), and
// screenshots. Without chromium these tests fail; they do not skip.
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <regex>
#include <sstream>
#include <string>
#include <system_error>
#include <vector>

#include <doctest/doctest.h>
#include <fmt/format.h>

#include "run_command.hpp"

namespace gradflow::testing {

/// A fresh folder under the system's temporary folder, removed with everything in it.
struct TempDir {
  std::filesystem::path path;
  TempDir() {
    std::random_device rd;
    path = std::filesystem::temp_directory_path() / fmt::format("gradflow-test-{:08x}", rd());
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
};

inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

/// Headless Chromium as root in a container: the flags CI needs, a fresh profile.
struct Chromium {
  TempDir profile;
  int budget_ms;  ///< virtual time the page gets to run its scripts and timers
  explicit Chromium(int virtual_time_budget_ms = 3000) : budget_ms(virtual_time_budget_ms) {
    REQUIRE_MESSAGE(run_command("command -v chromium >/dev/null 2>&1").status == 0,
                    "these tests need Debian's chromium package (apt-get install chromium)");
  }
  /// The command line for `mode` (--dump-dom, --screenshot=...) on `url`, the log into `log`.
  std::string command(const std::string& mode, const std::string& url,
                      const std::filesystem::path& log, const std::string& size = "1440,900") {
    return fmt::format(
        "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic "
        "--no-first-run --disable-background-networking --disable-component-update "
        "--disable-sync --user-data-dir='{}' --enable-logging=stderr --v=0 "
        "--virtual-time-budget={} --window-size={} --hide-scrollbars {} '{}' 2>'{}'",
        profile.path.string(), budget_ms, size, mode, url, log.string());
  }
  struct Page {
    std::string dom, log;
  };
  /// The DOM of `url` after its scripts ran, in a window of `size` ("width,height").
  Page dump_dom(const std::string& url, const std::string& size = "1440,900") {
    const std::filesystem::path log = profile.path / "dump.log";
    const Run r = run_command(command("--dump-dom", url, log, size));
    Page p{r.out, read_file(log)};
    INFO("chromium log:\n" << p.log);
    REQUIRE(r.status == 0);
    return p;
  }
  /// Writes a PNG of `url` at `size` ("width,height"); returns the browser's log.
  std::string screenshot(const std::string& url, const std::filesystem::path& png,
                         const std::string& size) {
    const std::filesystem::path log = profile.path / "shot.log";
    const Run r = run_command(command("--screenshot='" + png.string() + "'", url, log, size));
    const std::string text = read_file(log);
    INFO("chromium log:\n" << text);
    REQUIRE(r.status == 0);
    REQUIRE(std::filesystem::exists(png));
    return text;
  }
};

/// A page loaded by tests/cdp.py, which drives headless Chromium over the DevTools protocol and
/// waits in real time until the page's body says data-status="ready" (or "error"): for pages
/// whose work (compiling WebAssembly, training) takes real time on a loaded machine.
struct Browser {
  TempDir dir;
  Browser() {
    REQUIRE_MESSAGE(run_command("command -v chromium >/dev/null 2>&1").status == 0,
                    "these tests need Debian's chromium package (apt-get install chromium)");
  }
  struct Page {
    std::string dom, log;  ///< the DOM when ready; console messages, one "CONSOLE ..." a line
    bool ready = false;    ///< the page reached data-status="ready" in time
  };
  /// Loads `url` in a window of `size` ("width,height"); with `png`, also a screenshot.
  Page load(const std::string& url, const std::string& size = "1440,900",
            const std::string& png = {}) {
    const std::filesystem::path log = dir.path / "console.log";
    const Run r = run_command(fmt::format(
        "python3 '{}/tests/cdp.py' '{}' --size {} --log '{}' {} 2>&1", GRADFLOW_SOURCE_DIR, url,
        size, log.string(), png.empty() ? std::string() : fmt::format("--screenshot '{}'", png)));
    Page p{r.out, read_file(log), r.status == 0};
    INFO("browser log:\n" << p.log);
    REQUIRE(r.status <= 1);  // 0 ready, 1 not ready in time; anything else: cdp.py failed
    return p;
  }
};

/// The text of a page's data element (<script type="application/json" id="gf-data">).
inline std::string data_text(const std::string& page) {
  const std::string open = "<script type=\"application/json\" id=\"gf-data\">";
  const auto start = page.find(open);
  REQUIRE(start != std::string::npos);
  const auto end = page.find("</script>", start);
  REQUIRE(end != std::string::npos);
  return page.substr(start + open.size(), end - start - open.size());
}

/// The cells of each row of the table body `<tbody id="ID">` (the text of each <td>).
inline std::vector<std::vector<std::string>> table_rows(const std::string& dom,
                                                        const std::string& id) {
  std::vector<std::vector<std::string>> rows;
  const auto at = dom.find("<tbody id=\"" + id + "\">");
  REQUIRE(at != std::string::npos);
  const std::string body = dom.substr(at, dom.find("</tbody>", at) - at);
  const std::regex row("<tr[^>]*>(.*?)</tr>"), cell("<td>([^<]*)</td>");
  for (auto r = std::sregex_iterator(body.begin(), body.end(), row); r != std::sregex_iterator();
       ++r) {
    const std::string tr = (*r)[1].str();
    std::vector<std::string> cells;
    for (auto c = std::sregex_iterator(tr.begin(), tr.end(), cell); c != std::sregex_iterator();
         ++c)
      cells.push_back((*c)[1].str());
    rows.push_back(cells);
  }
  return rows;
}

/// The value of attribute `name` of the first `tag` element that has it, or "<missing>".
inline std::string attribute(const std::string& dom, const std::string& tag,
                             const std::string& name) {
  const std::regex re("<" + tag + "[^>]*\\s" + name + "=\"([^\"]*)\"");
  std::smatch m;
  return std::regex_search(dom, m, re) ? m[1].str() : std::string("<missing>");
}

/// The text directly inside the element with this id (up to its first child), or "<missing>".
inline std::string element_text(const std::string& dom, const std::string& id) {
  const std::regex re("id=\"" + id + "\"[^>]*>([^<]*)<");
  std::smatch m;
  return std::regex_search(dom, m, re) ? m[1].str() : std::string("<missing>");
}

}  // namespace gradflow::testing
