#include "worker/artifact_io.hpp"

#include <nlohmann/json.hpp>

#include <cstring>
#include <stdexcept>

#include "core/atomic.hpp"
#include "core/error.hpp"
#include "core/h5.hpp"
#include "core/serialize.hpp"

namespace dmde::worker {
namespace {

constexpr char kMagic[8] = {'D', 'M', 'D', 'E', 'M', 'D', 'L', '\n'};
constexpr std::size_t kHeader = 28;

template <class T>
void put(std::string& s, T v) {
  s.append(reinterpret_cast<const char*>(&v), sizeof v);
}
template <class T>
T get(const std::string& s, std::size_t at) {
  T v;
  std::memcpy(&v, s.data() + at, sizeof v);
  return v;
}

}  // namespace

std::uint64_t fnv1a64(const void* data, std::size_t n, std::uint64_t h) {
  const auto* p = static_cast<const unsigned char*>(data);
  for (std::size_t i = 0; i < n; ++i) {
    h ^= p[i];
    h *= 0x100000001b3ULL;
  }
  return h;
}

std::string table_fingerprint(const Table& t) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  auto mix = [&](const void* d, std::size_t n) { h = fnv1a64(d, n, h); };
  const std::int64_t n = t.rows();
  mix(&n, sizeof n);
  mix(t.id.data(), t.id.size() * sizeof(std::int64_t));
  mix(t.caf.data(), t.caf.size() * sizeof(std::int32_t));
  mix(t.weight.data(), static_cast<std::size_t>(t.weight.size()) * sizeof(double));
  for (const auto& o : t.schema.outcomes) mix(o.data(), o.size() + 1);
  mix(t.outcomes.data(), static_cast<std::size_t>(t.outcomes.size()) * sizeof(double));
  for (const auto& v : t.schema.vars) mix(v.name.data(), v.name.size() + 1);
  mix(t.X.data(), static_cast<std::size_t>(t.X.size()) * sizeof(double));
  char buf[40];
  std::snprintf(buf, sizeof buf, "fnv1a64:%016llx", static_cast<unsigned long long>(h));
  return buf;
}

std::string software_version() { return "dmde 0.1.0"; }

void save_artifact(const std::string& path, const model::ModelArtifact& a) {
  a.card.validate();
  const std::string payload = to_bytes(a);
  std::string out(kMagic, sizeof kMagic);
  put<std::uint32_t>(out, kArtifactContainerVersion);
  put<std::uint64_t>(out, payload.size());
  put<std::uint64_t>(out, fnv1a64(payload.data(), payload.size()));
  out += payload;
  write_file_atomic(path, out);
}

model::ModelArtifact load_artifact(const std::string& path) {
  const std::string bytes = read_file(path);  // InputError when missing
  if (bytes.size() < kHeader || std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0)
    throw InputError("'" + path + "' is not a dmde model artifact");
  const auto version = get<std::uint32_t>(bytes, 8);
  if (version > kArtifactContainerVersion)
    throw InputError("'" + path + "' is a model artifact of a newer dmde (container version " +
                     std::to_string(version) + ")");
  const auto len = get<std::uint64_t>(bytes, 12);
  const auto sum = get<std::uint64_t>(bytes, 20);
  if (len != bytes.size() - kHeader) throw InputError("'" + path + "' is a truncated model artifact");
  const std::string payload = bytes.substr(kHeader);
  if (fnv1a64(payload.data(), payload.size()) != sum)
    throw InputError("'" + path + "' is a corrupt model artifact (checksum mismatch)");
  model::ModelArtifact a;
  try {
    from_bytes(payload, a);
    a.card.validate();
  } catch (const std::exception& e) {
    throw InputError("'" + path + "' is a corrupt model artifact: " + e.what());
  }
  return a;
}

std::string artifact_to_json(const model::ModelArtifact& a) {
  using nlohmann::json;
  json j;
  j["format"] = "dmde-model";
  j["container_version"] = kArtifactContainerVersion;
  j["target"] = a.target;
  j["intercept"] = a.card.intercept;
  j["inputs"] = a.card.inputs;
  json terms = json::array();
  for (const auto& t : a.card.terms)
    terms.push_back({{"effect", t.effect},
                     {"inputs", t.inputs},
                     {"n_levels", t.n_levels},
                     {"beta", std::vector<double>(t.beta.data(), t.beta.data() + t.beta.size())},
                     {"reference", t.reference}});
  j["terms"] = terms;
  json params = json::array();
  for (const auto& p : a.fit.parameters)
    params.push_back({{"effect", p.effect}, {"level", p.level}, {"df", p.df}, {"estimate", p.estimate},
                      {"std_error", p.std_error}, {"wald_chisq", p.wald_chisq}, {"p_value", p.p_value}});
  json effects = json::array();
  for (const auto& e : a.fit.effects)
    effects.push_back({{"effect", e.effect}, {"df", e.df}, {"wald_chisq", e.wald_chisq}, {"p_value", e.p_value}});
  j["fit"] = {{"parameters", params},
              {"type3", effects},
              {"status", a.fit.status},
              {"weighting", a.fit.weighting},
              {"n_obs", a.fit.n_obs},
              {"sum_weights", a.fit.sum_weights},
              {"neg2ll", a.fit.neg2ll},
              {"neg2ll_null", a.fit.neg2ll_null},
              {"aic", a.fit.aic},
              {"sc", a.fit.sc},
              {"auc", a.fit.auc},
              {"iterations", a.fit.iterations},
              {"stats", a.fit.stats}};
  j["meta"] = a.meta;
  j["prep_spec_bytes"] = a.prep_spec.size();
  return j.dump(2) + "\n";
}

void export_artifact_json(const std::string& path, const model::ModelArtifact& a) {
  write_file_atomic(path, artifact_to_json(a));
}

void export_artifact_h5(const std::string& path, const model::ModelArtifact& a) {
  AtomicPath out(path);
  {
    auto f = h5::File::create(out.temp());
    f.set_attr("dmde_format", std::string("dmde-model"));
    f.set_attr("container_version", static_cast<std::int64_t>(kArtifactContainerVersion));
    f.set_attr("target", a.target);
    f.set_attr("intercept", a.card.intercept);
    for (const auto& [k, v] : a.meta) f.set_attr("meta_" + k, v);
    f.write_strings("inputs", a.card.inputs);
    auto terms = f.create_group("terms");
    for (std::size_t k = 0; k < a.card.terms.size(); ++k) {
      const auto& t = a.card.terms[k];
      auto g = terms.create_group(std::to_string(k));
      g.set_attr("effect", t.effect);
      g.set_attr("reference", t.reference);
      g.write_vector("beta", std::vector<double>(t.beta.data(), t.beta.data() + t.beta.size()));
      g.write_vector("inputs", std::vector<std::int32_t>(t.inputs.begin(), t.inputs.end()));
      g.write_vector("n_levels", std::vector<std::int32_t>(t.n_levels.begin(), t.n_levels.end()));
    }
    auto p = f.create_group("parameters");
    std::vector<std::string> eff, lev;
    std::vector<std::int32_t> df;
    std::vector<double> est, se, chi, pv;
    for (const auto& r : a.fit.parameters) {
      eff.push_back(r.effect);
      lev.push_back(r.level);
      df.push_back(r.df);
      est.push_back(r.estimate);
      se.push_back(r.std_error);
      chi.push_back(r.wald_chisq);
      pv.push_back(r.p_value);
    }
    p.write_strings("effect", eff);
    p.write_strings("level", lev);
    p.write_vector("df", df);
    p.write_vector("estimate", est);
    p.write_vector("std_error", se);
    p.write_vector("wald_chisq", chi);
    p.write_vector("p_value", pv);
    for (const auto& [k, v] : a.fit.stats) p.set_attr("fit_" + k, v);
    p.set_attr("fit_neg2ll", a.fit.neg2ll);
    p.set_attr("fit_auc", a.fit.auc);
    if (!a.prep_spec.empty())
      f.write_vector("prep_spec", std::vector<std::uint8_t>(a.prep_spec.begin(), a.prep_spec.end()));
    f.flush();
  }
  out.commit();
}

}  // namespace dmde::worker
