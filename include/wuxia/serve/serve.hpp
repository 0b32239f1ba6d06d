#pragma once
// `wuxia serve` (DESIGN "Serving"): one process serving the page (its HTML,
// CSS and JS compiled into the binary) and a JSON API over the checkpoints
// it was given. HTTP is cpp-httplib's; the routes are src/serve/server.cpp,
// the API's requests and answers src/serve/api.cpp.
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

namespace wuxia {

int default_serve_workers();  // the cores (std::thread::hardware_concurrency), 1 to 8

struct ServeOptions {
  // Checkpoints served, in order: a request that names none gets the first
  // that knows the style it asks for.
  std::vector<std::string> checkpoints;
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port (Server::bind says which)
  // Requests answered at once, each on a model of its own: one per core (at
  // most 8). More would only timeslice the same cores, and each costs a copy
  // of every model (docs/PERF.md "wuxia serve under load").
  int workers = default_serve_workers();
  // On a loopback address, the Host names answered besides localhost,
  // 127.0.0.1 and [::1] (--allow-host): any other Host gets 403, which is
  // what keeps a page elsewhere from reaching the API by DNS rebinding.
  std::vector<std::string> allowed_hosts;
  void validate() const;  // throws wuxia::Error naming the flag
};

// The checkpoints served when `--checkpoint` is not given: the Jin Yong
// model and the base (the model the naming helper uses). `wuxia train`
// makes both; serve_until_signal says so for each one missing.
std::vector<std::string> default_serve_checkpoints();

class Server {
 public:
  // Loads every checkpoint (wuxia::Error names a bad one). `log`, which must
  // outlive the server, receives one line per failed request (5xx).
  Server(const ServeOptions& opts, std::ostream& log);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; returns the port bound (the one asked for, or the
  // one the system chose for port 0). Throws wuxia::Error when it cannot.
  int bind();
  // Answers requests until stop(); returns false if the server failed.
  bool run();
  // Makes run() return (thread-safe; from any thread but a signal handler).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// What the command does: loads, binds, prints the URL to `out`, and
// serves until SIGINT or SIGTERM. Returns the exit status.
int serve_until_signal(const ServeOptions& opts, std::ostream& out, std::ostream& err);

}  // namespace wuxia
