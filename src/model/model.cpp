#include "wuxia/model/model.hpp"

#include <algorithm>

#include "wuxia/model/lstm_layer.hpp"
#include "wuxia/model/rng.hpp"
#include "wuxia/platform/error.hpp"

namespace wuxia {

template <class T>
Model<T>::Model(Backend<T>& backend, const ModelConfig& cfg) : be_(backend), cfg_(cfg), layout_(cfg) {
  cfg_.validate();
  const std::size_t n = layout_.total();
  params_ = Buffer<T>(be_, n);
  grads_ = Buffer<T>(be_, n);
  m_ = Buffer<T>(be_, n);
  v_ = Buffer<T>(be_, n);
  norm_ = Buffer<T>(be_, 1);
  loss_ = Buffer<T>(be_, 1);
  scalars_ = Buffer<StepScalars>(be_, 1);
  step_log_ = Buffer<T>(be_, 2 * kLogSteps);
  be_.fill(n, T(0), params_.data());
  be_.fill(n, T(0), grads_.data());
  be_.fill(n, T(0), m_.data());
  be_.fill(n, T(0), v_.data());
  be_.fill(1, T(0), norm_.data());
  off_.embedding = layout_.at("embedding.weight").offset;
  off_.fc_weight = layout_.at("fc.weight").offset;
  off_.fc_bias = layout_.at("fc.bias").offset;
  for (int l = 0; l < cfg_.layers; ++l) {
    const std::string s = std::to_string(l);
    off_.w_ih.push_back(layout_.at("lstm.weight_ih_l" + s).offset);
    off_.w_hh.push_back(layout_.at("lstm.weight_hh_l" + s).offset);
    off_.b_ih.push_back(layout_.at("lstm.bias_ih_l" + s).offset);
    off_.b_hh.push_back(layout_.at("lstm.bias_hh_l" + s).offset);
  }
  layer_in_.resize(cfg_.layers);
  layer_in_bf16_.resize(cfg_.layers);
}

template <class T>
void Model<T>::set_precision(Precision p) {
  if (p == precision_) return;
  precision_ = p;
  recordings_.clear();  // their ops change
  if (p == Precision::kFp32) {
    params_bf16_ = Buffer<Bf16>();
    in_bf16_.clear();
    hs_bf16_.clear();
    w_hh_drop_bf16_.clear();
    y_bf16_ = Buffer<Bf16>();
    d_bf16_ = Buffer<Bf16>();
  }
}

template <class T>
void Model<T>::ensure_bf16_buffers() {
  if (precision_ != Precision::kBf16) return;
  bool grew = false;
  auto need = [&](Buffer<Bf16>& b, std::size_t n) {
    if (b.size() == n) return;
    b = Buffer<Bf16>(be_, n);
    grew = true;
  };
  const std::size_t R = cap_rows_, E = cfg_.embed, H = cfg_.hidden, V = cfg_.vocab, L = cfg_.layers;
  need(params_bf16_, layout_.total());
  in_bf16_.resize(L);
  hs_bf16_.resize(L);
  for (std::size_t l = 0; l < L; ++l) {
    need(in_bf16_[l], R * (l == 0 ? E : H));
    need(hs_bf16_[l], R * H);
  }
  need(y_bf16_, R * H);
  need(d_bf16_, R * std::max(V, 4 * H));
  if (!w_hh_drop_.empty()) {
    w_hh_drop_bf16_.resize(L);
    for (auto& b : w_hh_drop_bf16_) need(b, 4 * H * H);
  }
  if (grew) recordings_.clear();  // they hold the old addresses
}

template <class T>
template <class U>
void Model<T>::set_params(const std::vector<U>& host) {
  if (host.size() != layout_.total()) {
    throw Error("parameter count " + std::to_string(host.size()) + " does not match the model's " +
                std::to_string(layout_.total()));
  }
  std::vector<T> conv(host.begin(), host.end());
  params_.upload(conv.data(), conv.size());
}

template <class T>
std::vector<T> Model<T>::get_params() const {
  std::vector<T> out(layout_.total());
  params_.download(out.data(), out.size());
  return out;
}
template <class T>
std::vector<T> Model<T>::get_grads() const {
  std::vector<T> out(layout_.total());
  grads_.download(out.data(), out.size());
  return out;
}
template <class T>
std::vector<T> Model<T>::get_moment(int which) const {
  std::vector<T> out(layout_.total());
  (which == 0 ? m_ : v_).download(out.data(), out.size());
  return out;
}
template <class T>
template <class U>
void Model<T>::set_moment(int which, const std::vector<U>& host) {
  if (host.size() != layout_.total()) throw Error("optimizer moment size does not match the model");
  std::vector<T> conv(host.begin(), host.end());
  (which == 0 ? m_ : v_).upload(conv.data(), conv.size());
}

template <class T>
template <class U>
void Model<T>::set_anchor(const std::vector<U>& host) {
  if (host.size() != layout_.total()) throw Error("anchor size does not match the model");
  std::vector<T> conv(host.begin(), host.end());
  anchor_ = buffer_from(be_, conv);
  recordings_.clear();
}
template <class T>
template <class U>
void Model<T>::set_average(const std::vector<U>& host) {
  if (host.size() != layout_.total()) throw Error("parameter average size does not match the model");
  std::vector<T> conv(host.begin(), host.end());
  average_ = buffer_from(be_, conv);
  recordings_.clear();
}
template <class T>
void Model<T>::set_marked_rows(const std::vector<uint8_t>& tokens) {
  marked_mask_ = tokens.empty() ? Buffer<uint8_t>() : buffer_from(be_, token_rows_mask(cfg_, tokens));
  recordings_.clear();
}
template <class T>
std::vector<T> Model<T>::get_average() const {
  std::vector<T> out(average_.size());
  if (!out.empty()) average_.download(out.data(), out.size());
  return out;
}
template <class T>
void Model<T>::swap_average() {
  if (!has_average()) throw Error("internal: the model keeps no parameter average");
  std::swap(params_, average_);
}

template <class T>
void Model<T>::set_extra_scalars(const AdamWArgs& args) {
  // Rounded once on the host, as AdamWScalars, so both backends use these values.
  const double pull = args.lr * args.l2sp;
  scalars_host_.anchor_ab[0] = static_cast<T>(pull);
  scalars_host_.anchor_ab[1] = static_cast<T>(1.0 - pull);
  scalars_host_.average_ab[0] = static_cast<T>(1.0 - args.ema_decay);
  scalars_host_.average_ab[1] = static_cast<T>(args.ema_decay);
}

template <class T>
void Model<T>::ensure_workspace(int Tn, int B) {
  const std::size_t N = static_cast<std::size_t>(Tn) * B;
  if (N <= cap_rows_ && static_cast<std::size_t>(B) <= cap_b_) return;
  recordings_.clear();  // they hold the addresses of the buffers about to move
  // Grow to the larger of what is asked and what we had, so a run's first
  // few batches settle the workspace for good.
  cap_rows_ = std::max(cap_rows_, N);
  cap_b_ = std::max(cap_b_, static_cast<std::size_t>(B));
  const std::size_t R = cap_rows_;
  const std::size_t E = cfg_.embed, H = cfg_.hidden, V = cfg_.vocab, L = cfg_.layers;
  ids_ = Buffer<int32_t>(be_, 2 * R);
  emb_ = Buffer<T>(be_, R * E);
  x_drop_.clear();
  gates_.clear();
  cells_.clear();
  hs_.clear();
  for (std::size_t l = 0; l < L; ++l) {
    x_drop_.emplace_back(be_, l > 0 && (cfg_.dropout > 0 || locked_buffers_) ? R * H : 0);
    gates_.emplace_back(be_, R * 4 * H);
    cells_.emplace_back(be_, R * H);
    hs_.emplace_back(be_, R * H);
  }
  y_drop_ = Buffer<T>(be_, cfg_.dropout > 0 || locked_buffers_ ? R * H : 0);
  logits_ = Buffer<T>(be_, R * V);
  row_loss_ = Buffer<T>(be_, R);
  dgates_ = Buffer<T>(be_, R * 4 * H);
  dh_a_ = Buffer<T>(be_, R * std::max(E, H));
  dh_b_ = Buffer<T>(be_, R * std::max(E, H));
  dc_ = Buffer<T>(be_, cap_b_ * H);
  dh_rec_ = Buffer<T>(be_, cap_b_ * H);
}

template <class T>
void Model<T>::allocate_regulariser_buffers(const StepOptions& opts) {
  if (!opts.train) return;
  const std::size_t H = cfg_.hidden;
  if (opts.locked_dropout > 0 && !locked_buffers_) {
    locked_buffers_ = true;
    if (cfg_.dropout <= 0) {  // else ensure_workspace sized them already
      recordings_.clear();
      for (int l = 1; l < cfg_.layers; ++l) x_drop_[l] = Buffer<T>(be_, cap_rows_ * H);
      y_drop_ = Buffer<T>(be_, cap_rows_ * H);
    }
  }
  if (opts.weight_drop > 0 && w_hh_drop_.empty()) {
    recordings_.clear();
    for (int l = 0; l < cfg_.layers; ++l) w_hh_drop_.emplace_back(be_, 4 * H * H);
  }
}

template <class T>
void Model<T>::reserve(int Tn, int B) {
  if (Tn < 1 || B < 1) throw Error("reserve: empty shape");
  ensure_workspace(Tn, B);
  ensure_bf16_buffers();
}

template <class T>
void Model<T>::stage_batch(const Batch& batch, const StepOptions& opts) {
  if (batch.T < 1 || batch.B < 1) throw Error("empty batch");
  ensure_workspace(batch.T, batch.B);
  allocate_regulariser_buffers(opts);
  ensure_bf16_buffers();
  T_ = batch.T;
  B_ = batch.B;
  const std::size_t N = static_cast<std::size_t>(batch.T) * batch.B;
  ids_host_.assign(batch.tokens.begin(), batch.tokens.begin() + static_cast<std::ptrdiff_t>(N));
  ids_host_.insert(ids_host_.end(), batch.targets.begin(), batch.targets.begin() + static_cast<std::ptrdiff_t>(N));
  ids_.upload(ids_host_.data(), 2 * N);
  scalars_host_.xent_scale = batch.num_targets ? T(1) / static_cast<T>(batch.num_targets) : T(0);
  scalars_host_.dropout_step = opts.step;
}

template <class T>
double Model<T>::forward(const Batch& batch, const StepOptions& opts, std::vector<T>* row_loss) {
  stage_batch(batch, opts);
  upload_scalars();
  issue_forward_backward(opts, row_loss != nullptr);
  if (row_loss) {
    row_loss->resize(static_cast<std::size_t>(T_) * B_);
    row_loss_.download(row_loss->data(), row_loss->size());
  }
  T loss = 0;
  loss_.download(&loss, 1);
  return static_cast<double>(loss);
}

template <class T>
void Model<T>::issue_forward_backward(const StepOptions& opts, bool want_row_loss) {
  const int Tn = T_, B = B_;
  const int N = Tn * B, E = cfg_.embed, H = cfg_.hidden, V = cfg_.vocab, L = cfg_.layers, G4 = 4 * H;
  const std::size_t BG = static_cast<std::size_t>(B) * G4;
  const std::size_t NH = static_cast<std::size_t>(N) * H, BH = static_cast<std::size_t>(B) * H;
  const bool drop = opts.train && cfg_.dropout > 0;
  // The regularisers (DESIGN "Training runs", its Levers); each is a mask, so its backward is
  // the same call on the gradient, and each is off at 0, when no op is issued.
  const double locked = opts.train ? opts.locked_dropout : 0;
  const double wdrop = opts.train ? opts.weight_drop : 0;
  const double edrop = opts.train ? opts.embed_dropout : 0;
  const uint64_t* dstep = &scalars_.data()->dropout_step;
  // The recurrent weights a layer runs on: with --weight-drop, this step's
  // masked copy, made in the forward pass and read again by the backward.
  auto recurrent_weights = [&](int l) -> const T* {
    return wdrop > 0 ? w_hh_drop_[l].data() : p(off_.w_hh[l]);
  };
  // --precision bf16 (set_precision): each GEMM reads bfloat16 copies of its
  // operands, the weights' from the shadow made here, once a pass.
  const bool bf = precision_ == Precision::kBf16;
  auto recurrent_weights_bf16 = [&](int l) -> const Bf16* {
    return wdrop > 0 ? w_hh_drop_bf16_[l].data() : pb(off_.w_hh[l]);
  };
  // ---- forward ----
  if (bf) be_.cast_bf16(layout_.total(), params_.data(), params_bf16_.data());
  be_.embedding_forward(N, E, tokens(), p(off_.embedding), emb_.data());
  // In place: emb_ is layer 0's input, which its weight gradient reads as it was fed.
  if (edrop > 0) be_.embedding_dropout(N, E, tokens(), edrop, opts.seed, rng::kEmbedDropout, dstep, emb_.data(), emb_.data());
  if (locked > 0) {
    be_.locked_dropout(static_cast<std::size_t>(N) * E, static_cast<std::size_t>(B) * E, locked, opts.seed,
                       rng::kLockedDropout, dstep, emb_.data(), emb_.data());
  }
  for (int l = 0; l < L; ++l) {
    const int in = l == 0 ? E : H;
    const T* x = emb_.data();
    if (l > 0) {
      x = hs_[l - 1].data();
      if (drop) {
        be_.dropout(NH, cfg_.dropout, opts.seed, rng::kDropout + l, dstep, x, x_drop_[l].data());
        x = x_drop_[l].data();
      }
      if (locked > 0) {
        be_.locked_dropout(NH, BH, locked, opts.seed, rng::kLockedDropout + l, dstep, x, x_drop_[l].data());
        x = x_drop_[l].data();
      }
    }
    layer_in_[l] = x;
    if (bf && l > 0 && x == hs_[l - 1].data()) {
      layer_in_bf16_[l] = hs_bf16_[l - 1].data();  // rounded by the layer below's recurrence
    } else if (bf) {
      be_.cast_bf16(static_cast<std::size_t>(N) * in, x, in_bf16_[l].data());
      layer_in_bf16_[l] = in_bf16_[l].data();
    }
    T* G = gates_[l].data();
    T* C = cells_[l].data();
    T* Hs = hs_[l].data();
    if (wdrop > 0) {
      be_.dropout(static_cast<std::size_t>(G4) * H, wdrop, opts.seed, rng::kWeightDrop + l, dstep, p(off_.w_hh[l]),
                  w_hh_drop_[l].data());
    }
    const T* w_hh = recurrent_weights(l);
    if (bf && wdrop > 0) be_.cast_bf16(static_cast<std::size_t>(G4) * H, w_hh, w_hh_drop_bf16_[l].data());
    // Input projection of all T steps in one GEMM, on top of both biases.
    be_.bias_rows(N, G4, p(off_.b_ih[l]), p(off_.b_hh[l]), G);
    if (bf) {
      be_.gemm_bf16(false, true, N, G4, in, T(1), layer_in_bf16_[l], in, pb(off_.w_ih[l]), in, T(1), G, G4);
      lstm_layer_forward(be_, Tn, B, H, w_hh, G, C, Hs, RecurrentBf16{recurrent_weights_bf16(l), hs_bf16_[l].data()});
    } else {
      be_.gemm(false, true, N, G4, in, T(1), x, in, p(off_.w_ih[l]), in, T(1), G, G4);
      lstm_layer_forward(be_, Tn, B, H, w_hh, G, C, Hs);
    }
  }
  const T* y = hs_[L - 1].data();
  if (drop) {
    be_.dropout(NH, cfg_.dropout, opts.seed, rng::kDropout + L, dstep, y, y_drop_.data());
    y = y_drop_.data();
  }
  if (locked > 0) {
    be_.locked_dropout(NH, BH, locked, opts.seed, rng::kLockedDropout + L, dstep, y, y_drop_.data());
    y = y_drop_.data();
  }
  const Bf16* yh = nullptr;  // y in bfloat16
  if (bf && y == hs_[L - 1].data()) {
    yh = hs_bf16_[L - 1].data();
  } else if (bf) {
    be_.cast_bf16(NH, y, y_bf16_.data());
    yh = y_bf16_.data();
  }
  be_.bias_rows(N, V, p(off_.fc_bias), nullptr, logits_.data());
  if (bf) {
    be_.gemm_bf16(false, true, N, V, H, T(1), yh, H, pb(off_.fc_weight), H, T(1), logits_.data(), V);
  } else {
    be_.gemm(false, true, N, V, H, T(1), y, H, p(off_.fc_weight), H, T(1), logits_.data(), V);
  }

  be_.softmax_xent(N, V, logits_.data(), targets(), &scalars_.data()->xent_scale, loss_.data(),
                   want_row_loss ? row_loss_.data() : nullptr, opts.backward ? logits_.data() : nullptr);

  // ---- backward ----
  if (opts.backward) {
    const T* dlogits = logits_.data();
    // Every gradient is written whole below (beta = 0, sum_rows, copy)
    // except the embedding's, which only gains the rows of this batch's
    // tokens: zero just that, not the whole buffer.
    be_.fill(static_cast<std::size_t>(V) * E, T(0), g(off_.embedding));
    T* dout = dh_a_.data();  // gradient wrt the current layer's outputs [N, H]
    T* dx = dh_b_.data();    // gradient wrt its inputs [N, in]
    Bf16* dh16 = bf ? d_bf16_.data() : nullptr;  // the d-logits, then each layer's d-gates, in bfloat16
    if (bf) {
      be_.cast_bf16(static_cast<std::size_t>(N) * V, dlogits, dh16);
      be_.gemm_bf16(true, false, V, H, N, T(1), dh16, V, yh, H, T(0), g(off_.fc_weight), H);
      be_.gemm_bf16(false, false, N, H, V, T(1), dh16, V, pb(off_.fc_weight), H, T(0), dout, H);
    } else {
      be_.gemm(true, false, V, H, N, T(1), dlogits, V, y, H, T(0), g(off_.fc_weight), H);
      be_.gemm(false, false, N, H, V, T(1), dlogits, V, p(off_.fc_weight), H, T(0), dout, H);
    }
    be_.sum_rows(N, V, dlogits, g(off_.fc_bias));
    // The masks in the reverse of the forward's order (they commute; the order only mirrors the forward).
    if (locked > 0) be_.locked_dropout(NH, BH, locked, opts.seed, rng::kLockedDropout + L, dstep, dout, dout);
    if (drop) be_.dropout(NH, cfg_.dropout, opts.seed, rng::kDropout + L, dstep, dout, dout);
    for (int l = L - 1; l >= 0; --l) {
      const int in = l == 0 ? E : H;
      const T* G = gates_[l].data();
      const T* C = cells_[l].data();
      const T* w_hh = recurrent_weights(l);
      T* dG = dgates_.data();
      lstm_layer_backward(be_, Tn, B, H, w_hh, G, C, dout, dc_.data(), dh_rec_.data(), dG,
                          bf ? RecurrentBf16{recurrent_weights_bf16(l), dh16} : RecurrentBf16{});
      // Weight gradients over all steps at once: dW_ih = dG^T x, dW_hh = dG[1:]^T h[:-1].
      if (bf) {
        be_.gemm_bf16(true, false, G4, in, N, T(1), dh16, G4, layer_in_bf16_[l], in, T(0), g(off_.w_ih[l]), in);
      } else {
        be_.gemm(true, false, G4, in, N, T(1), dG, G4, layer_in_[l], in, T(0), g(off_.w_ih[l]), in);
      }
      if (Tn > 1) {
        if (bf) {
          be_.gemm_bf16(true, false, G4, H, N - B, T(1), dh16 + BG, G4, hs_bf16_[l].data(), H, T(0), g(off_.w_hh[l]),
                        H);
        } else {
          be_.gemm(true, false, G4, H, N - B, T(1), dG + BG, G4, hs_[l].data(), H, T(0), g(off_.w_hh[l]), H);
        }
        // That is the gradient wrt the masked weights; through the mask to weight_hh itself.
        if (wdrop > 0) {
          be_.dropout(static_cast<std::size_t>(G4) * H, wdrop, opts.seed, rng::kWeightDrop + l, dstep,
                      g(off_.w_hh[l]), g(off_.w_hh[l]));
        }
      } else {
        be_.fill(static_cast<std::size_t>(G4) * H, T(0), g(off_.w_hh[l]));
      }
      be_.sum_rows(N, G4, dG, g(off_.b_ih[l]));
      be_.copy(G4, g(off_.b_ih[l]), g(off_.b_hh[l]));
      if (bf) {
        be_.gemm_bf16(false, false, N, in, G4, T(1), dh16, G4, pb(off_.w_ih[l]), in, T(0), dx, in);
      } else {
        be_.gemm(false, false, N, in, G4, T(1), dG, G4, p(off_.w_ih[l]), in, T(0), dx, in);
      }
      if (l > 0) {
        if (locked > 0) be_.locked_dropout(NH, BH, locked, opts.seed, rng::kLockedDropout + l, dstep, dx, dx);
        if (drop) be_.dropout(NH, cfg_.dropout, opts.seed, rng::kDropout + l, dstep, dx, dx);
        std::swap(dout, dx);
      } else {
        if (locked > 0) {
          be_.locked_dropout(static_cast<std::size_t>(N) * E, static_cast<std::size_t>(B) * E, locked, opts.seed,
                             rng::kLockedDropout, dstep, dx, dx);
        }
        if (edrop > 0) be_.embedding_dropout(N, E, tokens(), edrop, opts.seed, rng::kEmbedDropout, dstep, dx, dx);
        be_.embedding_backward(N, E, V, tokens(), dx, g(off_.embedding));
      }
    }
  }
}

template <class T>
void Model<T>::optimizer_step(const AdamWArgs& args) {
  scalars_host_.adamw = AdamWScalars<T>::from(args);
  set_extra_scalars(args);
  upload_scalars();
  issue_optimizer();
}

template <class T>
void Model<T>::issue_optimizer() {
  const std::size_t n = layout_.total();
  // The pull toward the anchor comes first, where AdamW applies its own
  // decoupled weight decay (which --l2sp replaces).
  if (anchor_.size()) be_.axpby(n, anchor_.data(), params_.data(), scalars_.data()->anchor_ab);
  be_.grad_norm(n, grads_.data(), norm_.data());
  be_.adamw_step(n, params_.data(), grads_.data(), m_.data(), v_.data(), norm_.data(), &scalars_.data()->adamw,
                 marked_mask_.data());
  if (average_.size()) be_.axpby(n, params_.data(), average_.data(), scalars_.data()->average_ab);
}

template <class T>
void Model<T>::train_step(const Batch& batch, const StepOptions& opts_in, const AdamWArgs& args) {
  StepOptions opts = opts_in;
  opts.backward = true;
  stage_batch(batch, opts);
  scalars_host_.adamw = AdamWScalars<T>::from(args);
  set_extra_scalars(args);
  upload_scalars();
  auto issue = [&] {
    issue_forward_backward(opts, false);
    issue_optimizer();
  };
  const bool drop = opts.train && cfg_.dropout > 0;
  const double wdrop = opts.train ? opts.weight_drop : 0, locked = opts.train ? opts.locked_dropout : 0,
               edrop = opts.train ? opts.embed_dropout : 0;
  const bool masked = drop || wdrop > 0 || locked > 0 || edrop > 0;
  const auto key = std::make_tuple(T_, B_, drop, masked ? opts.seed : 0, wdrop, locked, edrop);
  const auto it = recordings_.find(key);
  if (it != recordings_.end()) {
    be_.replay(*it->second);
  } else if (backend_records_ && recordings_.size() < kMaxRecordings) {
    std::unique_ptr<Recording> r;
    try {
      r = be_.record(issue);
    } catch (const Error& e) {
      // Nothing ran while recording, so issuing the step directly is safe.
      recording_error_ = e.what();
    }
    if (r) {
      be_.replay(*r);
      recordings_.emplace(key, std::move(r));
    } else {
      backend_records_ = false;
      issue();
    }
  } else {
    issue();
  }
  // Outside the recording: the slot moves on every step.
  be_.copy(1, loss_.data(), step_log_.data() + 2 * step_log_n_);
  be_.copy(1, norm_.data(), step_log_.data() + 2 * step_log_n_ + 1);
  if (++step_log_n_ == kLogSteps) drain_step_log();
}

template <class T>
void Model<T>::drain_step_log() {
  std::vector<T> host(2 * static_cast<std::size_t>(step_log_n_));
  step_log_.download(host.data(), host.size());
  for (int i = 0; i < step_log_n_; ++i) {
    step_log_host_.push_back({static_cast<double>(host[2 * i]), static_cast<double>(host[2 * i + 1])});
  }
  step_log_n_ = 0;
}

template <class T>
std::vector<typename Model<T>::StepLog> Model<T>::take_step_log() {
  drain_step_log();
  std::vector<StepLog> out;
  out.swap(step_log_host_);
  return out;
}

template <class T>
double Model<T>::last_grad_norm() const {
  T n = 0;
  norm_.download(&n, 1);
  return static_cast<double>(n);
}

template <class T>
std::vector<T> Model<T>::get_logits() const {
  std::vector<T> out(static_cast<std::size_t>(T_) * B_ * cfg_.vocab);
  logits_.download(out.data(), out.size());
  return out;
}

template <class T>
void Model<T>::begin_inference(int b) {
  if (b < 1) throw Error("inference needs at least one sequence");
  const std::size_t H = cfg_.hidden, E = cfg_.embed, V = cfg_.vocab;
  if (b > inf_cap_) {
    inf_h_.clear();
    inf_c_.clear();
    for (int l = 0; l < cfg_.layers; ++l) {
      inf_h_.emplace_back(be_, b * H);
      inf_c_.emplace_back(be_, b * H);
    }
    inf_spare_ = Buffer<T>(be_, b * H);
    inf_gates_ = Buffer<T>(be_, b * 4 * H);
    inf_x_ = Buffer<T>(be_, b * E);
    inf_logits_ = Buffer<T>(be_, b * V);
    inf_tokens_ = Buffer<int32_t>(be_, b);
    inf_rows_ = Buffer<int32_t>(be_, b);
    inf_cap_ = b;
  }
  inf_b_ = b;
  for (int l = 0; l < cfg_.layers; ++l) {
    be_.fill(b * H, T(0), inf_h_[l].data());
    be_.fill(b * H, T(0), inf_c_[l].data());
  }
}

template <class T>
void Model<T>::infer_select(const std::vector<int32_t>& keep, int fresh) {
  const int kept = static_cast<int>(keep.size()), b = kept + fresh;
  if (fresh < 0 || b > inf_cap_) throw Error("infer_select: more sequences than begin_inference made room for");
  for (int32_t r : keep) {
    if (r < 0 || r >= inf_b_) throw Error("infer_select: no such sequence");
  }
  const std::size_t H = cfg_.hidden;
  inf_rows_.upload(keep.data(), kept);
  for (auto* state : {&inf_h_, &inf_c_}) {
    for (auto& buf : *state) {
      // A row gather is what embedding_forward does: new row j = old row keep[j].
      be_.embedding_forward(kept, static_cast<int>(H), inf_rows_.data(), buf.data(), inf_spare_.data());
      be_.fill(fresh * H, T(0), inf_spare_.data() + kept * H);
      std::swap(buf, inf_spare_);
    }
  }
  inf_b_ = b;
}

template <class T>
const std::vector<T>& Model<T>::infer_step(const std::vector<int32_t>& tokens) {
  const int b = static_cast<int>(tokens.size());
  if (b > inf_b_) throw Error("infer_step: more tokens than begin_inference sequences");
  const int E = cfg_.embed, H = cfg_.hidden, V = cfg_.vocab, G4 = 4 * H;
  inf_tokens_.upload(tokens.data(), b);
  be_.embedding_forward(b, E, inf_tokens_.data(), p(off_.embedding), inf_x_.data());
  const T* x = inf_x_.data();
  int in = E;
  for (int l = 0; l < cfg_.layers; ++l) {
    T* G = inf_gates_.data();
    T* h = inf_h_[l].data();
    T* c = inf_c_[l].data();
    be_.bias_rows(b, G4, p(off_.b_ih[l]), p(off_.b_hh[l]), G);
    be_.gemm(false, true, b, G4, in, T(1), x, in, p(off_.w_ih[l]), in, T(1), G, G4);
    be_.gemm(false, true, b, G4, H, T(1), h, H, p(off_.w_hh[l]), H, T(1), G, G4);
    be_.lstm_cell_forward(b, H, G, c, c, h);
    x = h;
    in = H;
  }
  be_.bias_rows(b, V, p(off_.fc_bias), nullptr, inf_logits_.data());
  be_.gemm(false, true, b, V, H, T(1), x, H, p(off_.fc_weight), H, T(1), inf_logits_.data(), V);
  inf_host_logits_.resize(static_cast<std::size_t>(b) * V);
  inf_logits_.download(inf_host_logits_.data(), inf_host_logits_.size());
  return inf_host_logits_;
}

template class Model<float>;
template class Model<double>;
template void Model<float>::set_params<float>(const std::vector<float>&);
template void Model<float>::set_params<double>(const std::vector<double>&);
template void Model<double>::set_params<float>(const std::vector<float>&);
template void Model<double>::set_params<double>(const std::vector<double>&);
template void Model<float>::set_moment<float>(int, const std::vector<float>&);
template void Model<float>::set_anchor<float>(const std::vector<float>&);
template void Model<float>::set_average<float>(const std::vector<float>&);
template void Model<double>::set_anchor<double>(const std::vector<double>&);
template void Model<double>::set_average<double>(const std::vector<double>&);
template void Model<double>::set_moment<double>(int, const std::vector<double>&);
template void Model<double>::set_moment<float>(int, const std::vector<float>&);

}  // namespace wuxia
