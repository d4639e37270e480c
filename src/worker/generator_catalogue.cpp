// The variable catalogue: ~70 hand-written core variables (every variable the hidden truth uses,
// named after the drivers of domain.md), then generated families up to 4,360 columns: benefit,
// income and contact histories over 3/6/12/18-month windows (correlated blocks), counts of
// "faits générateurs" by code, categorical modes with rare levels, and pure-noise variables.
#include <cmath>
#include <cstdio>
#include <set>
#include <stdexcept>

#include "worker/generator.hpp"
#include "worker/generator_internal.hpp"

namespace dmde::worker {
namespace {

using detail::F_AGE;
using detail::F_CONTACT;
using detail::F_DIGITAL;
using detail::F_EMPLOY;
using detail::F_FAMILY;
using detail::F_HOUSING;
using detail::F_INSTAB;
using detail::F_PREC;

struct Builder {
  std::vector<GenVar> v;
  int next_block = 0;

  GenVar& add(const std::string& name, const std::string& theme, int window, Dist d, float a, float b) {
    GenVar g;
    g.info.name = name;
    g.info.theme = theme;
    g.info.window = window;
    g.dist = d;
    g.a = a;
    g.b = b;
    g.stream = static_cast<std::uint32_t>(v.size());
    v.push_back(g);
    return v.back();
  }
  GenVar& special(const std::string& name, const std::string& theme, int window, int id,
                  std::vector<std::string> levels = {}) {
    auto& g = add(name, theme, window, Dist::Special, 0, 1);
    g.special = id;
    if (!levels.empty()) {
      g.info.kind = VarKind::Categorical;
      g.info.levels = std::move(levels);
    }
    return g;
  }
  // The same quantity over several windows: one block, loadings shared, scale growing slowly.
  void windows(const std::string& stem, const std::string& stat, const std::string& theme, const std::vector<int>& ws,
               Dist d, float a, float b, std::array<float, kFactors> load, float rho, int receipt = -1,
               float zero_cut = -10, float p_miss = 0) {
    const int block = next_block++;
    for (int w : ws) {
      // snprintf, not operator+: GCC 12 reports a false -Wrestrict on chained string concatenation.
      char name[96];
      if (w == 0) std::snprintf(name, sizeof name, "%s_m0", stem.c_str());
      else std::snprintf(name, sizeof name, "%s_%s%dm", stem.c_str(), stat.c_str(), w);
      // Counts accumulate over longer windows; amounts (monthly means) do not.
      const float shift = d == Dist::Count ? std::log(std::max(1.0f, static_cast<float>(w)) / 12.0f) : 0.0f;
      auto& g = add(name, theme, w, d, a + shift, b);
      g.load = load;
      g.block = block;
      g.rho = rho;
      g.receipt = receipt;
      g.zero_cut = zero_cut;
      g.p_miss = p_miss;
    }
  }
};

std::array<float, kFactors> L(std::initializer_list<std::pair<int, float>> l) {
  std::array<float, kFactors> out{};
  for (auto [k, x] : l) out[static_cast<std::size_t>(k)] = x;
  return out;
}

void core(Builder& B) {
  using namespace detail;
  const std::vector<int> W{0, 3, 6, 12, 18};
  B.special("type_menage", "family", 0, S_TYPE_MENAGE, {"isole", "isole_parent", "couple_sans_enf", "couple_avec_enf"});
  B.special("isole_parent", "family", 0, S_ISOLE_PARENT);
  B.special("nb_enf", "family", 0, S_NB_ENF);
  B.special("nb_enf_19plus", "family", 0, S_NB_ENF19);
  B.special("act_enf", "family", 0, S_ACT_ENF,
            {"sans_enf_concerne", "scolaire", "etudiant", "apprenti", "salarie", "sans_activite", "stagiaire_formation"});
  B.special("sep_recente_18m", "family", 18, S_SEP_RECENTE);
  B.special("tutelle", "family", 0, S_TUTELLE);
  { auto& g = B.add("age_resp", "family", 0, Dist::Normal, 44, 13); g.load = L({{F_AGE, 0.95f}}); g.lo = 18; }
  { auto& g = B.add("age_conjoint", "family", 0, Dist::Normal, 45, 13); g.load = L({{F_AGE, 0.9f}}); g.requires_ = 1; g.lo = 18; }
  { auto& g = B.add("rev_rapport_smic", "income", 0, Dist::LogNormal, std::log(0.9f), 0.6f);
    g.load = L({{F_PREC, -0.7f}, {F_EMPLOY, 0.4f}}); g.p_miss = 0.02f; }
  B.add("instab_rev_12m", "income", 12, Dist::LogNormal, std::log(0.25f), 0.7f).load = L({{F_INSTAB, 0.8f}, {F_PREC, 0.2f}});
  { auto& g = B.add("taux_effort_loyer", "income", 0, Dist::LogNormal, std::log(0.22f), 0.45f);
    g.load = L({{F_PREC, 0.6f}}); g.requires_ = 3; }
  { auto& g = B.add("mt_pension_alim", "income", 0, Dist::LogNormal, std::log(180.0f), 0.5f);
    g.load = L({{F_FAMILY, 0.3f}}); g.zero_cut = 0.9f; g.requires_ = 2; }
  { auto& g = B.add("nb_flag_regle_rev_24m", "income", 24, Dist::Count, std::log(0.8f), 0.8f);
    g.load = L({{F_INSTAB, 0.5f}, {F_PREC, 0.3f}}); g.zero_cut = 0.3f; }
  const std::vector<std::string> act{"salarie", "chomeur", "inactif", "independant", "etudiant", "retraite", "saisonnier"};
  B.special("act_resp", "activity", 0, S_ACT_RESP, act);
  B.special("act_conj", "activity", 0, S_ACT_CONJ, act);
  B.special("chomeur_resp", "activity", 0, S_CHOMEUR);
  B.special("aah_et_activite", "activity", 0, S_AAH_ACT);
  B.special("regime_trim", "benefits", 0, S_REGIME_TRIM);
  B.windows("mt_prest_tot", "moy", "benefits", W, Dist::LogNormal, std::log(450.0f), 0.6f,
            L({{F_PREC, 0.6f}, {F_FAMILY, 0.4f}}), 0.93f);
  B.windows("mt_rsa", "moy", "benefits", W, Dist::LogNormal, std::log(420.0f), 0.45f, L({{F_PREC, 0.5f}}), 0.92f, R_RSA);
  B.windows("mt_ppa", "moy", "benefits", W, Dist::LogNormal, std::log(190.0f), 0.55f,
            L({{F_PREC, 0.3f}, {F_EMPLOY, 0.3f}}), 0.9f, R_PPA);
  B.windows("mt_af", "moy", "benefits", W, Dist::LogNormal, std::log(250.0f), 0.35f, L({{F_FAMILY, 0.7f}}), 0.95f, R_AF);
  B.windows("mt_cf", "moy", "benefits", W, Dist::LogNormal, std::log(175.0f), 0.2f, L({{F_FAMILY, 0.3f}}), 0.95f, R_CF);
  B.windows("mt_al", "moy", "housing", W, Dist::LogNormal, std::log(280.0f), 0.4f, L({{F_PREC, 0.5f}}), 0.93f, R_AL);
  B.windows("mt_aah", "moy", "benefits", {12}, Dist::LogNormal, std::log(900.0f), 0.15f, L({}), 0.9f, R_AAH);
  B.special("statut_occ", "housing", 0, S_STATUT_OCC, {"locataire_prive", "locataire_hlm", "proprietaire", "heberge", "foyer"});
  // Window counts need enough events that the 3- and 18-month counts stay strongly correlated.
  B.windows("nb_chg_loyer", "", "housing", {3, 6, 12, 18}, Dist::Count, std::log(1.5f), 0.8f, L({{F_HOUSING, 0.8f}}), 0.95f,
            -1, 0.2f);
  { auto& g = B.add("nb_demenag_18m", "housing", 18, Dist::Count, std::log(0.4f), 0.8f);
    g.load = L({{F_HOUSING, 0.7f}}); g.zero_cut = 0.6f; }
  { auto& g = B.add("mt_loyer", "housing", 0, Dist::LogNormal, std::log(520.0f), 0.4f);
    g.load = L({{F_PREC, -0.2f}}); g.requires_ = 3; }
  { auto& g = B.add("nb_connex_web_12m", "contacts", 12, Dist::Count, std::log(12.0f), 1.0f);
    g.load = L({{F_DIGITAL, 0.85f}}); g.zero_cut = -1.2f; }
  B.add("nb_mail_12m", "contacts", 12, Dist::Count, std::log(2.0f), 0.9f).load = L({{F_DIGITAL, 0.5f}, {F_CONTACT, 0.5f}});
  B.add("nb_visite_accueil_12m", "contacts", 12, Dist::Count, std::log(0.8f), 0.9f).load =
      L({{F_CONTACT, 0.7f}, {F_DIGITAL, -0.4f}, {F_PREC, 0.3f}});
  B.add("nb_appels_12m", "contacts", 12, Dist::Count, std::log(1.5f), 0.9f).load = L({{F_CONTACT, 0.8f}});
  { auto& g = B.add("anc_dern_controle", "contacts", 0, Dist::Count, std::log(30.0f), 0.7f); g.requires_ = 4; }
  B.add("nb_chg_sit_18m", "history", 18, Dist::Count, std::log(1.0f), 0.7f).load = L({{F_INSTAB, 0.7f}, {F_FAMILY, 0.2f}});
  { auto& g = B.add("nb_indus_ant_18m", "history", 18, Dist::Count, std::log(0.8f), 0.8f);
    g.load = L({{F_INSTAB, 0.5f}, {F_PREC, 0.3f}}); g.zero_cut = 0.4f; }
  { auto& g = B.add("nb_rappels_ant_18m", "history", 18, Dist::Count, std::log(0.6f), 0.8f);
    g.load = L({{F_INSTAB, 0.3f}}); g.zero_cut = 0.5f; }
  { auto& g = B.add("tx_chomage_caf", "local", 0, Dist::Normal, 8.0f, 1.8f); g.local = 1; g.lo = 3.0f; }
  { auto& g = B.add("part_bas_rev_caf", "local", 0, Dist::Normal, 14.0f, 3.5f); g.local = 1; g.lo = 5.0f; }
  { auto& g = B.add("tx_chomage_com", "local", 0, Dist::Normal, 8.5f, 3.0f); g.local = 2; g.lo = 1.0f; }
  { auto& g = B.add("part_hlm_com", "local", 0, Dist::Normal, 15.0f, 8.0f); g.local = 2; g.lo = 0.0f; }
  { auto& g = B.add("qpv", "local", 0, Dist::Binary, 1.1f, 1); g.load = L({{F_PREC, 0.5f}}); }
  { auto& g = B.add("zone_urb", "local", 0, Dist::Category, 0, 1);
    g.info.kind = VarKind::Categorical;
    g.info.levels = {"rural", "periurbain", "urbain", "grand_pole", "insulaire"};
    g.cuts = {-0.8f, -0.1f, 0.6f, 2.6f};
    g.load = L({{F_PREC, 0.3f}, {F_DIGITAL, 0.2f}}); }
  B.add("alea_0001", "noise", 0, Dist::Uniform, 0, 1);
}

// splitmix64: a deterministic stream of parameters for the generated families.
struct Mix {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  float uni() { return static_cast<float>(next() >> 40) / 16777216.0f; }
  float range(float lo, float hi) { return lo + (hi - lo) * uni(); }
};

void generated(Builder& B, std::uint64_t seed) {
  Mix m{seed ^ 0x5DEECE66DULL};
  const std::vector<int> W{3, 6, 12, 18};
  auto random_load = [&] {
    std::array<float, kFactors> l{};
    const int n = 1 + static_cast<int>(m.uni() * 2.0f);
    for (int i = 0; i < n; ++i)
      l[static_cast<std::size_t>(m.next() % kFactors)] = (m.uni() < 0.3f ? -1.0f : 1.0f) * m.range(0.2f, 0.6f);
    return l;
  };
  const char* ben[] = {"mt_ars", "mt_paje", "mt_asf", "mt_ajpp", "mt_aeeh", "mt_cmg", "mt_rsa_majore", "mt_apl",
                       "mt_als", "mt_alf", "mt_retenue", "mt_indu_rembourse", "mt_prime_naiss", "mt_ppa_bonif", "mt_rappel"};
  const char* rev[] = {"rev_act", "rev_rempl", "rev_patrim", "rev_pension", "rev_chomage", "rev_ij", "rev_conj", "rev_enf"};
  const char* cnt[] = {"nb_connex_appli", "nb_mail_sortant", "nb_visite_rdv", "nb_appel_sortant", "nb_courrier",
                       "nb_rdv", "nb_pj_depot", "nb_consult_droits"};
  int noise = 2, fg = 1, mode = 1;
  auto maybe_noise = [&] {
    if (m.uni() >= 0.3f) return;  // one family in three is followed by a pure-noise variable (~9% of columns)
    char name[32];
    std::snprintf(name, sizeof name, "alea_%04d", noise++);
    auto& g = B.add(name, "noise", 0, m.uni() < 0.5f ? Dist::Uniform : Dist::Normal, 0, 1);
    g.p_miss = m.uni() < 0.3f ? m.range(0.0f, 0.2f) : 0.0f;
  };
  auto family = [&](const std::string& stem, const std::string& stat, const std::string& theme, Dist d, float a, float b) {
    maybe_noise();
    const float zc = m.uni() < 0.5f ? m.range(-0.5f, 1.5f) : -10.0f;
    const float pm = m.uni() < 0.6f ? 0.0f : m.range(0.005f, 0.3f);
    B.windows(stem, stat, theme, W, d, a, b, random_load(), m.range(0.92f, 0.98f), -1, zc, pm);
  };
  for (const char* s : ben)
    for (const char* st : {"moy", "max", "min", "cumul"}) family(s, st, "benefits", Dist::LogNormal, m.range(3.5f, 6.5f), 0.5f);
  for (const char* s : rev)
    for (const char* st : {"moy", "max", "var"}) family(s, st, "income", Dist::LogNormal, m.range(5.0f, 7.5f), 0.7f);
  // Counts: levels high enough that short windows are not mostly zero (a block stays correlated).
  for (const char* s : cnt) family(s, "", "contacts", Dist::Count, m.range(1.0f, 2.5f), 0.9f);
  while (B.v.size() < static_cast<std::size_t>(kMaxVars)) {
    maybe_noise();
    if (B.v.size() >= static_cast<std::size_t>(kMaxVars)) break;
    if (m.uni() < 0.15f) {
      char name[40];
      std::snprintf(name, sizeof name, "mod_sit_%03d", mode++);
      auto& g = B.add(name, m.uni() < 0.5f ? "activity" : "family", 0, Dist::Category, 0, 1);
      g.info.kind = VarKind::Categorical;
      const int nl = 3 + static_cast<int>(m.uni() * 4.0f);
      float c = -0.6f;
      for (int k = 0; k < nl; ++k) {
        char level[16];
        std::snprintf(level, sizeof level, "m%d", k + 1);
        g.info.levels.emplace_back(level);
        if (k + 1 < nl) g.cuts.push_back(k + 2 == nl ? 2.5f : (c += m.range(0.2f, 0.9f)));  // last level rare
      }
      g.load = random_load();
      g.p_miss = m.uni() < 0.7f ? 0.0f : m.range(0.01f, 0.4f);
      continue;
    }
    // Counts of events ("faits générateurs") by code, over 6/12/18 months.
    char stem[32];
    std::snprintf(stem, sizeof stem, "nb_fg_%03d", fg++);
    const float zc = m.range(-0.5f, 2.0f);
    B.windows(stem, "", "history", {6, 12, 18}, Dist::Count, m.range(0.0f, 1.5f), 0.8f, random_load(),
              m.range(0.93f, 0.98f), -1, zc, 0.0f);
  }
  B.v.resize(static_cast<std::size_t>(kMaxVars));
}

std::vector<GenVar> full(std::uint64_t seed) {
  Builder B;
  core(B);
  if (B.v.size() != static_cast<std::size_t>(detail::kCoreVars)) throw std::logic_error("core catalogue size changed");
  generated(B, seed);
  std::set<std::string> names;
  for (const auto& g : B.v)
    if (!names.insert(g.info.name).second) throw std::logic_error("generator catalogue: duplicate name " + g.info.name);
  return B.v;
}

}  // namespace

int core_var_count() { return detail::kCoreVars; }

std::vector<GenVar> build_catalogue(std::uint64_t seed, int n_vars) {
  if (n_vars < 1 || n_vars > kMaxVars) throw std::invalid_argument("build_catalogue: n_vars out of range");
  auto v = full(seed);
  v.resize(static_cast<std::size_t>(n_vars));
  return v;
}

}  // namespace dmde::worker
