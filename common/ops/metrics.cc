#include "common/ops/metrics.h"

#include <algorithm>
#include <cmath>

#include "common/format.h"

namespace lotse::ops {
namespace {

void AddDouble(std::atomic<double>& target, double v) {
  double old = target.load(std::memory_order_relaxed);
  while (!target.compare_exchange_weak(old, old + v, std::memory_order_relaxed)) {
  }
}

std::string FormatValue(double v) {
  if (std::isnan(v)) {
    return "NaN";
  }
  if (std::isinf(v)) {
    return v > 0 ? "+Inf" : "-Inf";
  }
  if (v == std::floor(v) && std::fabs(v) < 1e15) {
    return fmt::format("{}", static_cast<int64_t>(v));
  }
  return fmt::format("{}", v);
}

// "{a=\"1\"}" plus one more label, for histogram buckets.
std::string WithLabel(const std::string& label_text, std::string_view name,
                      std::string_view value) {
  std::string extra = StrCat(name, "=\"", value, "\"");
  if (label_text.empty()) {
    return StrCat("{", extra, "}");
  }
  return StrCat(label_text.substr(0, label_text.size() - 1), ",", extra, "}");
}

// Collects what collectors write, grouped by family so each family is rendered in one block.
class CollectedSample final : public Sample {
 public:
  struct Family {
    std::string help;
    std::string type;
    std::vector<std::pair<std::string, double>> series;
  };
  explicit CollectedSample(std::function<std::string(const Labels&)> label_text)
      : label_text_(std::move(label_text)) {}
  void Gauge(std::string_view name, std::string_view help, const Labels& labels,
             double value) override {
    Add(name, help, "gauge", labels, value);
  }
  void Counter(std::string_view name, std::string_view help, const Labels& labels,
               double value) override {
    Add(name, help, "counter", labels, value);
  }
  std::map<std::string, Family, std::less<>>& families() { return families_; }

 private:
  void Add(std::string_view name, std::string_view help, std::string_view type,
           const Labels& labels, double value) {
    Family& family = families_[std::string(name)];
    if (family.type.empty()) {
      family.help = std::string(help);
      family.type = std::string(type);
    }
    family.series.emplace_back(label_text_(labels), value);
  }
  std::function<std::string(const Labels&)> label_text_;
  std::map<std::string, Family, std::less<>> families_;
};

std::string EscapeHelp(std::string_view help) {
  std::string out;
  for (char c : help) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)),
      buckets_(std::make_unique<std::atomic<uint64_t>[]>(bounds_.size() + 1)) {
  std::sort(bounds_.begin(), bounds_.end());
}

void Histogram::Observe(double v) {
  const size_t i = std::lower_bound(bounds_.begin(), bounds_.end(), v) - bounds_.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  AddDouble(sum_, v);
  count_.fetch_add(1, std::memory_order_relaxed);
}

std::vector<uint64_t> Histogram::BucketCounts() const {
  std::vector<uint64_t> out(bounds_.size() + 1);
  for (size_t i = 0; i < out.size(); ++i) {
    out[i] = buckets_[i].load(std::memory_order_relaxed);
  }
  return out;
}

std::vector<double> LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
          0.05,   0.1,     0.25,   0.5,   1,      2.5,   5,    10};
}

std::vector<double> SizeBuckets() {
  return {1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024};
}

std::string EscapeLabelValue(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

void Registry::SetConstantLabel(std::string name, std::string value) {
  std::lock_guard lock(mu_);
  for (auto& [existing, existing_value] : constant_) {
    if (existing == name) {
      existing_value = std::move(value);
      return;
    }
  }
  constant_.emplace_back(std::move(name), std::move(value));
}

std::string Registry::LabelText(const Labels& labels) const {
  if (constant_.empty() && labels.empty()) {
    return "";
  }
  std::string out = "{";
  bool first = true;
  for (const Labels* set : {&constant_, &labels}) {
    for (const auto& [name, value] : *set) {
      StrAppend(&out, first ? "" : ",", name, "=\"", EscapeLabelValue(value), "\"");
      first = false;
    }
  }
  out += "}";
  return out;
}

Registry::Family& Registry::FamilyFor(std::string_view name, std::string_view help, Type type) {
  auto it = families_.find(name);
  if (it == families_.end()) {
    it = families_.emplace(std::string(name), Family{}).first;
    it->second.help = std::string(help);
    it->second.type = type;
  }
  return it->second;
}

Counter& Registry::GetCounter(std::string_view name, std::string_view help,
                              const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyFor(name, help, Type::kCounter).counters[LabelText(labels)];
  if (slot == nullptr) {
    slot = std::make_unique<Counter>();
  }
  return *slot;
}

Gauge& Registry::GetGauge(std::string_view name, std::string_view help, const Labels& labels) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyFor(name, help, Type::kGauge).gauges[LabelText(labels)];
  if (slot == nullptr) {
    slot = std::make_unique<Gauge>();
  }
  return *slot;
}

Histogram& Registry::GetHistogram(std::string_view name, std::string_view help,
                                  const Labels& labels, const std::vector<double>& bounds) {
  std::lock_guard lock(mu_);
  auto& slot = FamilyFor(name, help, Type::kHistogram).histograms[LabelText(labels)];
  if (slot == nullptr) {
    slot = std::make_unique<Histogram>(bounds);
  }
  return *slot;
}

int Registry::AddCollector(std::function<void(Sample&)> collector) {
  std::lock_guard lock(mu_);
  const int id = next_collector_++;
  collectors_.emplace(id, std::move(collector));
  return id;
}

void Registry::RemoveCollector(int id) {
  std::lock_guard lock(mu_);
  collectors_.erase(id);
}

std::string Registry::Render() const {
  std::lock_guard lock(mu_);
  CollectedSample collected([this](const Labels& labels) { return LabelText(labels); });
  for (const auto& [id, collector] : collectors_) {
    collector(collected);
  }
  std::string out;
  // Registered families and collected ones, merged in name order.
  std::map<std::string_view, int> names;
  for (const auto& [name, family] : families_) {
    names.emplace(name, 0);
  }
  for (const auto& [name, family] : collected.families()) {
    names.emplace(name, 0);
  }
  for (const auto& [name, unused] : names) {
    if (auto it = families_.find(name); it != families_.end()) {
      const Family& family = it->second;
      const char* type = family.type == Type::kCounter   ? "counter"
                         : family.type == Type::kGauge ? "gauge"
                                                       : "histogram";
      StrAppend(&out, "# HELP ", name, " ", EscapeHelp(family.help), "\n# TYPE ", name, " ",
                type, "\n");
      for (const auto& [labels, counter] : family.counters) {
        StrAppend(&out, name, labels, " ", counter->value(), "\n");
      }
      for (const auto& [labels, gauge] : family.gauges) {
        StrAppend(&out, name, labels, " ", FormatValue(gauge->value()), "\n");
      }
      for (const auto& [labels, histogram] : family.histograms) {
        const std::vector<uint64_t> counts = histogram->BucketCounts();
        uint64_t cumulative = 0;
        for (size_t i = 0; i < counts.size(); ++i) {
          cumulative += counts[i];
          const std::string le =
              i < histogram->bounds().size() ? FormatValue(histogram->bounds()[i]) : "+Inf";
          StrAppend(&out, name, "_bucket", WithLabel(labels, "le", le), " ", cumulative, "\n");
        }
        StrAppend(&out, name, "_sum", labels, " ", FormatValue(histogram->sum()), "\n", name,
                  "_count", labels, " ", cumulative, "\n");
      }
      continue;
    }
    const CollectedSample::Family& family = collected.families().find(name)->second;
    StrAppend(&out, "# HELP ", name, " ", EscapeHelp(family.help), "\n# TYPE ", name, " ",
              family.type, "\n");
    for (const auto& [labels, value] : family.series) {
      StrAppend(&out, name, labels, " ", FormatValue(value), "\n");
    }
  }
  return out;
}

Registry& DefaultRegistry() {
  static Registry* registry = new Registry();
  return *registry;
}

}  // namespace lotse::ops
