// The HTTP side of `wuxia serve`: routes, limits, errors, signals.
#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <ctime>
#include <deque>
#include <filesystem>
#include <functional>
#include <iostream>
#include <mutex>
#include <thread>
#include <vector>

#include "api.hpp"
#include "page_assets.hpp"
#include "wuxia/cpu/cpu_backend.hpp"
#include "wuxia/serve/serve.hpp"

namespace wuxia {

namespace {

// Larger request bodies get 413. What cpp-httplib 0.11.4 gives and does not:
// - set_payload_max_length bounds a body with Content-Length only (a larger
//   one is 413, its bytes skipped unread). A chunked body, or one with no
//   length, is read whole into memory before a plain handler runs, on any
//   route or none (a POST to /nope, a PUT, a DELETE). So every method that
//   may carry a body is routed to a handler with a ContentReader: the API's
//   routes count the bytes as they come (post_route), the others drop them
//   (drop_body). Past the limit, bytes are dropped up to kMaxDrain so that
//   the client gets its 413, then the connection is cut.
// - Its read timeout (5 s) is per recv(), not per request: a client that
//   trickles a byte a second never trips it, and holds a connection thread
//   for as long as it likes (8,192 bytes of headers: over two hours).
//   post_route gives a body kBodySeconds; the headers, read before any
//   handler of ours runs, get no deadline at all: httplib neither has one
//   nor hands its TaskQueue the socket, so no watchdog of ours could cut it.
// - Its ThreadPool is fixed in size and its queue of accepted connections
//   unbounded: with 8 threads, 8 trickling clients locked everyone out
//   (/api/health timed out). ConnectionThreads (below) fills that gap: a
//   thread for every open connection, started when none is idle, up to
//   kMaxConnections; past that the accept thread waits for one to finish, so
//   that further clients wait in the kernel's listen backlog instead of an
//   unbounded queue. Slow clients then cost a thread each (a blocked thread
//   is cheap) and starve others only past kMaxConnections of them.
// - Keep-alive lets one connection ask again and again. Here each connection
//   carries one request (keep-alive count 1), which also means the bytes left
//   of a body cut off are never read as the next request. What the threads do
//   not bound, the work per request does (api.hpp: kMaxRequestNames,
//   kSampleSeconds, and the models' own --workers), and SIGTERM does not wait
//   for it past kStopGraceSeconds.
constexpr std::size_t kMaxBody = std::size_t{1} << 20;
constexpr int kBodySeconds = 10;
constexpr std::size_t kMaxDrain = std::size_t{16} << 20;
// Connections served at once (a thread each); more wait to be accepted.
constexpr std::size_t kMaxConnections = 256;
// After SIGINT or SIGTERM, the requests under way get this long to finish.
constexpr int kStopGraceSeconds = 5;
const char* const kTooLarge = "the request body is over the 1 MiB limit";

// httplib's TaskQueue as a thread per open connection: a job (one
// connection, read, answered and closed) starts at once on an idle thread,
// or on a new one while fewer than `max_threads` exist; past that, enqueue
// (called on httplib's accept thread) waits for a thread to come free.
// Threads stay for the server's life once started (at most max_threads).
class ConnectionThreads : public httplib::TaskQueue {
 public:
  explicit ConnectionThreads(std::size_t max_threads) : max_(max_threads) {}
  ~ConnectionThreads() override { ConnectionThreads::shutdown(); }

  void enqueue(std::function<void()> fn) override {
    std::unique_lock<std::mutex> lock(mu_);
    // All threads busy and no more allowed: wait (the listen backlog holds
    // the clients behind this one).
    freed_.wait(lock, [&] { return stopping_ || idle_ > jobs_.size() || threads_.size() < max_; });
    jobs_.push_back(std::move(fn));
    if (idle_ < jobs_.size() && threads_.size() < max_) {
      threads_.emplace_back([this] { work(); });
    } else {
      ready_.notify_one();
    }
  }

  // Runs the jobs already queued, then joins every thread.
  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_ && threads_.empty()) return;
      stopping_ = true;
    }
    ready_.notify_all();
    freed_.notify_all();
    for (auto& t : threads_) t.join();
    threads_.clear();
  }

 private:
  void work() {
    std::unique_lock<std::mutex> lock(mu_);
    for (;;) {
      if (jobs_.empty()) {
        if (stopping_) return;
        ++idle_;
        freed_.notify_all();
        ready_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        --idle_;
        continue;
      }
      std::function<void()> fn = std::move(jobs_.front());
      jobs_.pop_front();
      lock.unlock();
      fn();
      lock.lock();
    }
  }

  const std::size_t max_;
  std::mutex mu_;
  std::condition_variable ready_;  // a job was queued, or stopping
  std::condition_variable freed_;  // a thread went idle, or stopping
  std::deque<std::function<void()>> jobs_;
  std::vector<std::thread> threads_;  // only the accept thread adds to it (enqueue), under mu_
  std::size_t idle_ = 0;              // threads waiting for a job
  bool stopping_ = false;
};

// Whether an address to listen on is this machine's own (127.0.0.0/8 is).
bool is_loopback(const std::string& host) { return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0; }

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// The host name of a Host header, without its port, in lower case.
std::string host_name(const std::string& header) {
  if (!header.empty() && header[0] == '[') {
    const auto end = header.find(']');
    return lower(end == std::string::npos ? header : header.substr(0, end + 1));
  }
  return lower(header.substr(0, header.find(':')));
}

// Whether a Host header names this server: exactly one of `names`, with no
// port or `port`. A prefix test ("127.") would let 127.evil.example in, a
// name its owner can point at 127.0.0.1 (DNS rebinding).
bool host_allowed(const std::string& header, const std::vector<std::string>& names, int port) {
  const std::string name = host_name(header);
  if (std::find(names.begin(), names.end(), name) == names.end()) return false;
  const std::string rest = header.substr(name.size());
  return rest.empty() || rest == ":" + std::to_string(port);
}

std::string url_host(const std::string& host) {
  if (host == "0.0.0.0") return "127.0.0.1";  // what a browser on this machine opens
  if (host == "::") return "[::1]";
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

void send_json(httplib::Response& res, int status, const serve::json& body) {
  res.status = status;
  // Invalid UTF-8 in a name or message is replaced rather than thrown on.
  res.set_content(body.dump(-1, ' ', false, serve::json::error_handler_t::replace), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message, const std::string& field = "") {
  serve::json body = {{"error", message}};
  if (!field.empty()) body["field"] = field;
  send_json(res, status, body);
}

// Reads and drops a body no route wants, up to kMaxDrain bytes and
// kBodySeconds (then the connection is cut): a socket closed with bytes
// unread is reset, and the client would not see its answer.
void drop_body(const httplib::Request& req, const httplib::ContentReader& reader) {
  if (!req.has_header("Content-Length") && !req.has_header("Transfer-Encoding")) return;
  std::size_t dropped = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kBodySeconds);
  reader([&](const char*, std::size_t len) {
    dropped += len;
    return dropped <= kMaxDrain && std::chrono::steady_clock::now() < deadline;
  });
}

// What no route answers: 405 with the methods the path takes, or 404.
void unread_body_answer(const httplib::Request& req, httplib::Response& res) {
  std::string allow;
  if (req.path == "/api/sample" || req.path == "/api/name" || req.path == "/api/explain") {
    allow = "POST";
  } else if (req.path == "/api/health" || req.path == "/api/models") {
    allow = "GET";
  } else {
    for (const auto& a : serve::page_assets()) {
      if (req.path == a.url) allow = "GET";
    }
  }
  if (allow.empty()) {
    send_error(res, 404, "no such page: " + req.path);
    return;
  }
  res.set_header("Allow", allow);
  send_error(res, 405, req.path + " takes " + allow + (allow == "POST" ? " with a JSON body" : ""));
}

// A regex matching exactly `path` (httplib's patterns are regexes).
std::string exact(const std::string& path) {
  std::string out;
  for (char c : path) {
    if (std::string("\\^$.|?*+()[]{}").find(c) != std::string::npos) out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

void ServeOptions::validate() const {
  if (port < 0 || port > 65535) throw Error("--port must be from 0 (any free port) to 65535");
  if (workers < 1 || workers > 64) throw Error("--workers must be from 1 to 64");
  if (host.empty()) throw Error("--host must not be empty");
  for (const auto& h : allowed_hosts) {
    if (h.empty() || h.find_first_of(":/ \t[]") != std::string::npos) {
      throw Error("--allow-host '" + h + "': expected a host name without a port, e.g. mybox.local");
    }
  }
}

int default_serve_workers() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : static_cast<int>(std::min(cores, 8u));
}

std::vector<std::string> default_serve_checkpoints() {
  return {"runs/default/best.safetensors", "runs/base/best.safetensors"};
}

struct Server::Impl {
  ServeOptions opts;
  std::ostream& log;
  std::mutex log_mu;
  serve::Models models;
  httplib::Server http;
  std::atomic<int> port{0};  // the port bound, for the Host check

  Impl(const ServeOptions& o, std::ostream& l) : opts(o), log(l) {}

  void log_line(const std::string& line) {
    std::lock_guard<std::mutex> lock(log_mu);
    log << line << std::endl;
  }

  // Runs an API handler: JSON in, JSON out, errors as 400 naming the field.
  template <class F>
  void answer(const httplib::Request& req, httplib::Response& res, F&& handler) {
    // OpenMP's thread count belongs to the calling thread: one per request,
    // which run side by side on the workers (a model each).
    cpu::set_threads(1);
    try {
      send_json(res, 200, handler(req));
    } catch (const serve::RequestError& e) {
      send_error(res, 400, e.what(), e.field());
    } catch (const Error& e) {
      send_error(res, 400, e.what(), serve::field_of_message(e.what()));
    }
  }

  // A POST route reading its own body: counted against kMaxBody however it
  // comes (Content-Length or chunked), and read within kBodySeconds.
  template <class F>
  void post_route(const std::string& path, F handler) {
    http.Post(exact(path), [this, handler](const httplib::Request& req, httplib::Response& res,
                                           const httplib::ContentReader& reader) {
      std::string text;
      bool slow = false;
      std::size_t over = 0;  // bytes past the limit, read and dropped
      const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(kBodySeconds);
      const bool read = reader([&](const char* data, std::size_t len) {
        if (std::chrono::steady_clock::now() > deadline) return !(slow = true);
        if (over == 0 && len <= kMaxBody - text.size()) {
          text.append(data, len);
          return true;
        }
        // Over the limit: the rest is read and dropped, up to kMaxDrain, so
        // that the client, still sending, gets the 413 (a socket closed with
        // bytes unread is reset, its answer lost); past that it is cut off.
        over += len;
        return over <= kMaxDrain;
      });
      if (over > 0 || res.status == 413) {
        send_error(res, 413, kTooLarge);
      } else if (slow) {
        send_error(res, 408, "the request body took over " + std::to_string(kBodySeconds) + " s to arrive");
      } else if (!read) {
        send_error(res, 400, "the request body could not be read");
      } else {
        answer(req, res, [&](const httplib::Request&) {
          serve::Body body(text);
          return handler(body);
        });
      }
    });
  }

  void routes() {
    for (const auto& a : serve::page_assets()) {
      http.Get(exact(a.url), [&a](const httplib::Request&, httplib::Response& res) {
        res.set_content(reinterpret_cast<const char*>(a.data), a.size, a.content_type);
      });
    }
    http.Get("/api/health", [this](const httplib::Request& req, httplib::Response& res) {
      answer(req, res, [this](const httplib::Request&) { return serve::api_health(models); });
    });
    http.Get("/api/models", [this](const httplib::Request& req, httplib::Response& res) {
      answer(req, res, [this](const httplib::Request&) { return serve::api_models(models); });
    });
    post_route("/api/sample", [this](serve::Body& body) { return serve::api_sample(models, body); });
    post_route("/api/name", [this](serve::Body& body) { return serve::api_name(models, body); });
    post_route("/api/explain", [this](serve::Body& body) { return serve::api_explain(models, body); });
    // A known path asked with the wrong method: 405 naming the right one.
    for (const char* path : {"/api/sample", "/api/name", "/api/explain"}) {
      http.Get(path, [](const httplib::Request& req, httplib::Response& res) {
        res.set_header("Allow", "POST");
        send_error(res, 405, req.path + " takes POST with a JSON body");
      });
    }
    // Every other method on every path, with a content reader so that no body
    // is read (httplib reads a POST, PUT, PATCH or DELETE body whole before a
    // plain handler runs, however long: see kMaxBody).
    const auto other = [](const httplib::Request& req, httplib::Response& res, const httplib::ContentReader& reader) {
      drop_body(req, reader);
      unread_body_answer(req, res);
    };
    http.Post(".*", other);
    http.Put(".*", other);
    http.Patch(".*", other);
    http.Delete(".*", other);
    http.Options(".*", [](const httplib::Request& req, httplib::Response& res) { unread_body_answer(req, res); });
    // Whatever no route answered (404), a body over the limit (413) and the
    // like: a JSON error, unless the route wrote its own.
    http.set_error_handler(
        httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
          if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          if (res.status == 404) {
            send_error(res, 404, "no such page: " + req.path);
          } else if (res.status == 413) {
            send_error(res, 413, kTooLarge);
          } else {
            send_error(res, res.status, "HTTP error " + std::to_string(res.status));
          }
          return httplib::Server::HandlerResponse::Handled;
        }));
    http.set_exception_handler([this](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
      std::string what = "unknown exception";
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        what = e.what();
      } catch (...) {
      }
      log_line("wuxia serve: " + req.method + " " + req.path + ": internal error: " + what);
      send_error(res, 500, "internal error: " + what);
    });
    // On a loopback address, only requests addressed to this machine: a web
    // page elsewhere could otherwise point a name of its own at 127.0.0.1
    // (DNS rebinding) and read the answers. A server told to listen on
    // another address has been opened on purpose.
    if (is_loopback(opts.host)) {
      std::vector<std::string> names = {"localhost", "127.0.0.1", "[::1]"};
      for (const auto& h : opts.allowed_hosts) names.push_back(lower(h));
      http.set_pre_routing_handler([this, names](const httplib::Request& req, httplib::Response& res) {
        // HTTP/1.0 may send no Host; a browser always sends one.
        const std::string header = req.get_header_value("Host");
        if (!req.has_header("Host") || host_allowed(header, names, port)) {
          return httplib::Server::HandlerResponse::Unhandled;
        }
        send_error(res, 403,
                   "Host " + header +
                       " is not this machine: wuxia serve on a loopback address answers requests for localhost, "
                       "127.0.0.1 and [::1] (and names given with --allow-host) only");
        return httplib::Server::HandlerResponse::Handled;
      });
    }
    http.set_payload_max_length(kMaxBody);
    http.set_keep_alive_max_count(1);
    // httplib's default is SO_REUSEPORT, with which a second server on the
    // same port starts without a word and takes half the requests. A busy
    // port must be an error; SO_REUSEADDR alone still allows a quick restart.
    http.set_socket_options([](socket_t sock) {
      int yes = 1;
      ::setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });
    // The page is all there is: no other origin's scripts, styles or frames.
    http.set_default_headers({{"Content-Security-Policy",
                               "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'"},
                              {"X-Content-Type-Options", "nosniff"},
                              {"Referrer-Policy", "no-referrer"},
                              {"Cache-Control", "no-store"}});
    // A thread per connection (see ConnectionThreads): a slow client, or an
    // idle keep-alive connection a browser holds, never keeps others waiting.
    http.new_task_queue = [] { return new ConnectionThreads(kMaxConnections); };
  }
};

Server::Server(const ServeOptions& opts, std::ostream& log) : impl_(std::make_unique<Impl>(opts, log)) {
  opts.validate();
  if (opts.checkpoints.empty()) throw Error("no checkpoint to serve");
  impl_->models.naming = NamingData::load_bundled();
  impl_->models.words = Words::load_bundled();
  const Endings endings = Endings::load_bundled();  // read once, for every model's list
  for (const auto& path : opts.checkpoints) {
    impl_->models.add(std::make_unique<ServedModel>(path, opts.workers, endings));
  }
  impl_->routes();
}

Server::~Server() { stop(); }

int Server::bind() {
  const auto& o = impl_->opts;
  const int port = o.port == 0 ? impl_->http.bind_to_any_port(o.host) : o.port;
  if (port <= 0 || (o.port != 0 && !impl_->http.bind_to_port(o.host, o.port))) {
    throw Error("--host " + o.host + " --port " + std::to_string(o.port) +
                ": cannot listen there (the port taken, or the host not this machine's? --port 0 takes any free "
                "port)");
  }
  impl_->port = port;
  return port;
}

bool Server::run() { return impl_->http.listen_after_bind(); }

void Server::stop() {
  if (impl_->http.is_running()) impl_->http.stop();
}

int serve_until_signal(const ServeOptions& given, std::ostream& out, std::ostream& err) {
  ServeOptions opts = given;
  given.validate();
  if (opts.checkpoints.empty()) {
    // The defaults: serve those that exist, say how to make the others.
    for (const auto& path : default_serve_checkpoints()) {
      if (std::filesystem::exists(path)) {
        opts.checkpoints.push_back(path);
      } else {
        err << "wuxia serve: " << path
            << " is missing: `wuxia train` makes it (with runs/base/, the base, on first use: about 4 minutes on "
               "a 2-core CPU); serving without it\n";
      }
    }
    if (opts.checkpoints.empty()) {
      throw Error(
          "no model to serve: run `wuxia train` first (it makes runs/base/ and runs/default/), or give "
          "--checkpoint FILE");
    }
  }
  if (!is_loopback(opts.host)) {
    err << "wuxia serve: warning: --host " << opts.host
        << " accepts connections from other machines: anyone who can reach this one can use the page\n";
  }
  // SIGINT and SIGTERM wait for one thread that stops the server (nothing
  // in a signal handler could): blocked here, before any thread starts, so
  // every thread inherits the mask.
  sigset_t stop_signals, old;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, &old);
  struct Restore {
    sigset_t* old;
    ~Restore() { pthread_sigmask(SIG_SETMASK, old, nullptr); }
  } restore{&old};

  Server server(opts, err);
  const int port = server.bind();
  for (const auto& path : opts.checkpoints) out << "wuxia serve: serving " << path << "\n";
  out << "wuxia serve: open http://" << url_host(opts.host) << ":" << port << "/ (Ctrl-C stops)" << std::endl;

  std::atomic<bool> done{false};
  std::atomic<int> signal_seen{0};
  std::thread watcher([&] {
    const timespec tick{0, 100 * 1000 * 1000};
    std::chrono::steady_clock::time_point since;
    while (!done) {
      if (signal_seen) {
        // Again until run() returns: a signal that came before it started
        // listening would otherwise be lost.
        server.stop();
        // stop() waits for the requests under way; a client that trickles
        // its request, or one long request, must not keep the process up.
        if (std::chrono::steady_clock::now() - since > std::chrono::seconds(kStopGraceSeconds)) {
          out << "wuxia serve: stopped (" << (signal_seen == SIGINT ? "SIGINT" : "SIGTERM") << "; requests still "
              << "under way after " << kStopGraceSeconds << " s were cut off)" << std::endl;
          std::_Exit(0);
        }
        nanosleep(&tick, nullptr);
        continue;
      }
      const int sig = sigtimedwait(&stop_signals, nullptr, &tick);
      if (sig > 0) {
        since = std::chrono::steady_clock::now();
        signal_seen = sig;
      }
    }
  });
  const bool ok = server.run();
  done = true;
  watcher.join();
  if (signal_seen) {
    out << "wuxia serve: stopped (" << (signal_seen == SIGINT ? "SIGINT" : "SIGTERM") << ")" << std::endl;
    return 0;
  }
  if (!ok) throw Error("the server stopped on an error");
  return 0;
}

}  // namespace wuxia
