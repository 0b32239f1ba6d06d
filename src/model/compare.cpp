#include "wuxia/model/compare.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <sstream>

namespace wuxia {

namespace {

// Both non-finite in the same way: NaN and NaN, or the same infinity.
bool same_nonfinite(double g, double r) { return (std::isnan(g) && std::isnan(r)) || g == r; }

}  // namespace

double Diff::rel() const {
  if (nonfinite_mismatch) return std::numeric_limits<double>::infinity();
  return ref_max > 0 ? max_abs / ref_max : max_abs;
}

std::string Diff::describe() const {
  if (ok()) return "";
  if (size_mismatch) return "sizes differ: nothing compared";
  std::ostringstream o;
  o << bad << " of " << n << " elements off (atol " << tol.atol << ", rtol " << tol.rtol
    << (tol.scale == Tolerance::Scale::Tensor ? " of the tensor's max|ref| " : " of each |ref| ") << ref_max
    << ", max|diff| " << max_abs << ")";
  for (std::size_t i = 0; i < first.size(); ++i) {
    o << (i ? ", " : ": ") << "[" << first[i].index << "] got " << first[i].got << " ref " << first[i].ref;
  }
  return o.str();
}

template <class U>
Diff compare(const U* got, const U* ref, std::size_t n, const Tolerance& tol, std::size_t max_listed) {
  Diff d;
  d.n = n;
  d.tol = tol;
  for (std::size_t i = 0; i < n; ++i) {
    const double r = static_cast<double>(ref[i]);
    if (std::isfinite(r)) d.ref_max = std::max(d.ref_max, std::fabs(r));
  }
  for (std::size_t i = 0; i < n; ++i) {
    const double g = static_cast<double>(got[i]), r = static_cast<double>(ref[i]);
    bool pass;
    if (std::isfinite(g) && std::isfinite(r)) {
      const double diff = std::fabs(g - r);
      d.max_abs = std::max(d.max_abs, diff);
      const double scale = tol.scale == Tolerance::Scale::Tensor ? d.ref_max : std::fabs(r);
      pass = diff <= tol.atol + tol.rtol * scale;
    } else {
      pass = same_nonfinite(g, r);
      if (!pass) d.nonfinite_mismatch = true;
    }
    if (!pass) {
      if (d.first.size() < max_listed) d.first.push_back({i, g, r});
      ++d.bad;
    }
  }
  return d;
}

template <class U>
Diff compare(const std::vector<U>& got, const std::vector<U>& ref, const Tolerance& tol, std::size_t max_listed) {
  if (got.size() != ref.size()) {
    Diff d;
    d.n = std::max(got.size(), ref.size());
    d.bad = d.n;
    d.tol = tol;
    d.size_mismatch = true;
    d.nonfinite_mismatch = true;  // rel() is inf: no figure stands for it
    return d;
  }
  return compare(got.data(), ref.data(), got.size(), tol, max_listed);
}

template Diff compare<float>(const float*, const float*, std::size_t, const Tolerance&, std::size_t);
template Diff compare<double>(const double*, const double*, std::size_t, const Tolerance&, std::size_t);
template Diff compare<float>(const std::vector<float>&, const std::vector<float>&, const Tolerance&, std::size_t);
template Diff compare<double>(const std::vector<double>&, const std::vector<double>&, const Tolerance&, std::size_t);

}  // namespace wuxia
