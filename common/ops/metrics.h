#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lotse::ops {

// Label name/value pairs of one series, in the order given.
using Labels = std::vector<std::pair<std::string, std::string>>;

// A monotonically increasing count. Thread-safe; Add is one relaxed atomic add.
class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

// A value that goes up and down. Thread-safe.
class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Counts observations into fixed buckets (upper bounds, ascending; +Inf is implicit).
// Thread-safe; Observe is a bucket search and two relaxed atomic adds.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void Observe(double v);
  const std::vector<double>& bounds() const { return bounds_; }
  // Per-bucket (not cumulative) counts; the last one is the +Inf bucket.
  std::vector<uint64_t> BucketCounts() const;
  double sum() const { return sum_.load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
  std::atomic<uint64_t> count_{0};
};

// Bucket bounds for durations in seconds: 100 µs .. 10 s.
std::vector<double> LatencyBuckets();
// Bucket bounds for batch sizes: 1, 2, 4 .. 1024.
std::vector<double> SizeBuckets();

// What a collector writes at scrape time: values read from elsewhere (RocksDB, /proc, the
// service thread's last published state).
class Sample {
 public:
  virtual ~Sample() = default;
  virtual void Gauge(std::string_view name, std::string_view help, const Labels& labels,
                     double value) = 0;
  virtual void Counter(std::string_view name, std::string_view help, const Labels& labels,
                       double value) = 0;
};

// The metrics of one process, rendered in the Prometheus text exposition format (0.0.4).
// Series are created on first use and live as long as the registry; callers keep the returned
// reference for the hot path. Thread-safe.
class Registry {
 public:
  // A label every series of this registry carries (e.g. service="routing"); replaces an earlier
  // value of the same name. Applies to series created afterwards: set it first.
  void SetConstantLabel(std::string name, std::string value);
  Counter& GetCounter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& GetGauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& GetHistogram(std::string_view name, std::string_view help, const Labels& labels,
                          const std::vector<double>& bounds);
  // Called on every Render(), on the rendering thread. Returns an id for RemoveCollector.
  int AddCollector(std::function<void(Sample&)> collector);
  void RemoveCollector(int id);
  std::string Render() const;

 private:
  enum class Type { kCounter, kGauge, kHistogram };
  struct Family {
    std::string help;
    Type type = Type::kCounter;
    // Rendered label set ("{a=\"b\"}") -> series.
    std::map<std::string, std::unique_ptr<Counter>> counters;
    std::map<std::string, std::unique_ptr<Gauge>> gauges;
    std::map<std::string, std::unique_ptr<Histogram>> histograms;
  };
  Family& FamilyFor(std::string_view name, std::string_view help, Type type);
  std::string LabelText(const Labels& labels) const;

  mutable std::mutex mu_;
  Labels constant_;
  std::map<std::string, Family, std::less<>> families_;
  std::map<int, std::function<void(Sample&)>> collectors_;
  int next_collector_ = 1;
};

// The process's registry, shared by the runner, the error mapping and the services.
Registry& DefaultRegistry();

// Escapes a label value for the exposition format (backslash, double quote, newline).
std::string EscapeLabelValue(std::string_view value);

}  // namespace lotse::ops
