// The HTTP side of `wuxia serve`: routes, limits, errors, signals.
#include <httplib.h>
#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include <atomic>
#include <cctype>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include "api.hpp"
#include "page_assets.hpp"
#include "wuxia/cpu_backend.hpp"
#include "wuxia/serve.hpp"

namespace wuxia {

namespace {

constexpr std::size_t kMaxBody = std::size_t{1} << 20;  // larger bodies get 413

bool is_loopback(const std::string& host) { return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0; }

// The host name of a Host header, without its port, in lower case.
std::string host_name(const std::string& header) {
  std::string h;
  if (!header.empty() && header[0] == '[') {
    const auto end = header.find(']');
    h = end == std::string::npos ? header : header.substr(0, end + 1);
  } else {
    h = header.substr(0, header.find(':'));
  }
  for (char& c : h) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return h;
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
    http.Post("/api/sample", [this](const httplib::Request& req, httplib::Response& res) {
      answer(req, res, [this](const httplib::Request& r) {
        serve::Body body(r.body);
        return serve::api_sample(models, body);
      });
    });
    http.Post("/api/name", [this](const httplib::Request& req, httplib::Response& res) {
      answer(req, res, [this](const httplib::Request& r) {
        serve::Body body(r.body);
        return serve::api_name(models, body);
      });
    });
    http.Post("/api/explain", [this](const httplib::Request& req, httplib::Response& res) {
      answer(req, res, [this](const httplib::Request& r) {
        serve::Body body(r.body);
        return serve::api_explain(models, body);
      });
    });
    // A known path asked with the wrong method: 405 naming the right one.
    for (const char* path : {"/api/sample", "/api/name", "/api/explain"}) {
      http.Get(path, [](const httplib::Request& req, httplib::Response& res) {
        res.set_header("Allow", "POST");
        send_error(res, 405, req.path + " takes POST with a JSON body");
      });
    }
    for (const char* path : {"/api/health", "/api/models"}) {
      http.Post(path, [](const httplib::Request& req, httplib::Response& res) {
        res.set_header("Allow", "GET");
        send_error(res, 405, req.path + " takes GET");
      });
    }
    // Whatever no route answered (404), a body over the limit (413) and the
    // like: a JSON error, unless the route wrote its own.
    http.set_error_handler(
        httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
          if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          if (res.status == 404) {
            send_error(res, 404, "no such page: " + req.path);
          } else if (res.status == 413) {
            send_error(res, 413, "the request body is over the 1 MiB limit");
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
      http.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
        const std::string host = host_name(req.get_header_value("Host"));
        if (host.empty() || is_loopback(host) || host == "[::1]") return httplib::Server::HandlerResponse::Unhandled;
        send_error(res, 403,
                   "Host " + host +
                       " is not this machine: wuxia serve on a loopback address answers requests for localhost, "
                       "127.0.0.1 and [::1] only");
        return httplib::Server::HandlerResponse::Handled;
      });
    }
    http.set_payload_max_length(kMaxBody);
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
    // Connection threads: more than the models, so that idle keep-alive
    // connections (a browser holds several) do not keep requests waiting.
    const std::size_t threads = static_cast<std::size_t>(std::max(8, 2 * opts.workers));
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  }
};

Server::Server(const ServeOptions& opts, std::ostream& log) : impl_(std::make_unique<Impl>(opts, log)) {
  opts.validate();
  if (opts.checkpoints.empty()) throw Error("no checkpoint to serve");
  impl_->models.naming = NamingData::load_bundled();
  for (const auto& path : opts.checkpoints) {
    impl_->models.add(std::make_unique<ServedModel>(path, opts.workers));
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
    while (!done) {
      if (signal_seen) {
        // Again until run() returns: a signal that came before it started
        // listening would otherwise be lost.
        server.stop();
        nanosleep(&tick, nullptr);
        continue;
      }
      const int sig = sigtimedwait(&stop_signals, nullptr, &tick);
      if (sig > 0) signal_seen = sig;
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
