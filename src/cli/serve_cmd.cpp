#include <iostream>

#include "cli.hpp"
#include "wuxia/platform/error.hpp"
#include "wuxia/serve/serve.hpp"

namespace wuxia::cli {

#if WUXIA_NO_SERVE
// A build that makes one program of the sources without cpp-httplib's
// library (the host emulation of the CUDA code: DESIGN "Serving") has no
// server to start.
int cmd_serve(int, char**) { throw Error("this wuxia was built without wuxia serve (WUXIA_NO_SERVE)"); }
#else
int cmd_serve(int argc, char** argv) {
  const ServeOptions d;
  cxxopts::Options opts("wuxia serve",
                        "Serve the page (wuxia names, naming a child, explaining a name) and its JSON API on this "
                        "machine; open the URL it prints. Ctrl-C stops it.");
  // clang-format off
  opts.add_options()
    ("checkpoint", "a checkpoint to serve (repeat for several); default runs/default/best.safetensors and "
                   "runs/base/best.safetensors", cxxopts::value<std::vector<std::string>>())
    ("host", "address to listen on (0.0.0.0: every interface, other machines included)",
             cxxopts::value<std::string>()->default_value(d.host))
    ("port", "port to listen on (0: any free one)", cxxopts::value<int>()->default_value(std::to_string(d.port)))
    ("workers", "requests answered at once, each with its own copy of each model (the cores, at most 8)",
                cxxopts::value<int>()->default_value(std::to_string(d.workers)))
    ("allow-host", "on a loopback --host, a Host name answered besides localhost, 127.0.0.1 and [::1] "
                   "(repeatable); others get 403", cxxopts::value<std::vector<std::string>>());
  // clang-format on
  cxxopts::ParseResult r;
  if (!parse(opts, argc, argv, r)) return 0;
  ServeOptions o;
  if (r.count("checkpoint")) o.checkpoints = r["checkpoint"].as<std::vector<std::string> >();
  o.host = r["host"].as<std::string>();
  o.port = r["port"].as<int>();
  o.workers = r["workers"].as<int>();
  if (r.count("allow-host")) o.allowed_hosts = r["allow-host"].as<std::vector<std::string> >();
  return serve_until_signal(o, std::cout, std::cerr);
}
#endif

}  // namespace wuxia::cli
