// The 101 Caf and their sizes, calibrated to public figures (domain.md): 13.8 M households in
// all, Nord ~620k, Gironde ~316k, Guyane ~57.5k, smallest ~15k, median ~100k. Sizes are the
// département population times the national ratio (0.203), with the three published sizes pinned
// and the rest rescaled so the total is exact.
#include <algorithm>
#include <cmath>
#include <numeric>

#include "worker/generator.hpp"

namespace dmde::worker {
namespace {

struct Dept {
  std::int32_t code;
  const char* name;
  double pop_k;  // population, thousands
};

// Corsica 2A/2B are coded 201/202; the two Pyrénées-Atlantiques Caf (Pau, Bayonne) 641/642.
constexpr Dept kDepts[] = {
    {1, "Ain", 657},  {2, "Aisne", 531},  {3, "Allier", 335},  {4, "Alpes-de-Haute-Provence", 165},
    {5, "Hautes-Alpes", 141},  {6, "Alpes-Maritimes", 1098},  {7, "Ardeche", 329},  {8, "Ardennes", 270},
    {9, "Ariege", 154},  {10, "Aube", 310},  {11, "Aude", 375},  {12, "Aveyron", 280},
    {13, "Bouches-du-Rhone", 2056},  {14, "Calvados", 695},  {15, "Cantal", 144},  {16, "Charente", 352},
    {17, "Charente-Maritime", 655},  {18, "Cher", 302},  {19, "Correze", 240},  {21, "Cote-d'Or", 535},
    {22, "Cotes-d'Armor", 602},  {23, "Creuse", 116},  {24, "Dordogne", 414},  {25, "Doubs", 545},
    {26, "Drome", 520},  {27, "Eure", 600},  {28, "Eure-et-Loir", 432},  {29, "Finistere", 917},
    {30, "Gard", 752},  {31, "Haute-Garonne", 1415},  {32, "Gers", 192},  {33, "Gironde", 1654},
    {34, "Herault", 1200},  {35, "Ille-et-Vilaine", 1095},  {36, "Indre", 218},  {37, "Indre-et-Loire", 612},
    {38, "Isere", 1280},  {39, "Jura", 258},  {40, "Landes", 420},  {41, "Loir-et-Cher", 330},
    {42, "Loire", 767},  {43, "Haute-Loire", 228},  {44, "Loire-Atlantique", 1460},  {45, "Loiret", 682},
    {46, "Lot", 174},  {47, "Lot-et-Garonne", 331},  {48, "Lozere", 76},  {49, "Maine-et-Loire", 820},
    {50, "Manche", 495},  {51, "Marne", 566},  {52, "Haute-Marne", 170},  {53, "Mayenne", 307},
    {54, "Meurthe-et-Moselle", 733},  {55, "Meuse", 184},  {56, "Morbihan", 760},  {57, "Moselle", 1045},
    {58, "Nievre", 203},  {59, "Nord", 2610},  {60, "Oise", 829},  {61, "Orne", 280},
    {62, "Pas-de-Calais", 1465},  {63, "Puy-de-Dome", 662},  {65, "Hautes-Pyrenees", 229},
    {66, "Pyrenees-Orientales", 480},  {67, "Bas-Rhin", 1140},  {68, "Haut-Rhin", 765},  {69, "Rhone", 1880},
    {70, "Haute-Saone", 235},  {71, "Saone-et-Loire", 551},  {72, "Sarthe", 566},  {73, "Savoie", 436},
    {74, "Haute-Savoie", 830},  {75, "Paris", 2145},  {76, "Seine-Maritime", 1255},  {77, "Seine-et-Marne", 1420},
    {78, "Yvelines", 1450},  {79, "Deux-Sevres", 375},  {80, "Somme", 570},  {81, "Tarn", 390},
    {82, "Tarn-et-Garonne", 262},  {83, "Var", 1090},  {84, "Vaucluse", 562},  {85, "Vendee", 690},
    {86, "Vienne", 438},  {87, "Haute-Vienne", 372},  {88, "Vosges", 362},  {89, "Yonne", 335},
    {90, "Territoire de Belfort", 140},  {91, "Essonne", 1310},  {92, "Hauts-de-Seine", 1625},
    {93, "Seine-Saint-Denis", 1655},  {94, "Val-de-Marne", 1410},  {95, "Val-d'Oise", 1250},
    {201, "Corse-du-Sud", 160},  {202, "Haute-Corse", 182},  {641, "Pyrenees-Atlantiques (Pau)", 380},
    {642, "Pyrenees-Atlantiques (Bayonne)", 307},  {971, "Guadeloupe", 384},  {972, "Martinique", 361},
    {973, "Guyane", 286},  {974, "La Reunion", 870},
};

constexpr std::int64_t kTotal = 13'800'000;

std::vector<CafInfo> build() {
  std::vector<CafInfo> out;
  for (const auto& d : kDepts) out.push_back({d.code, d.name, 0});
  std::sort(out.begin(), out.end(), [](const CafInfo& a, const CafInfo& b) { return a.code < b.code; });
  auto pop = [](std::int32_t code) {
    for (const auto& d : kDepts)
      if (d.code == code) return d.pop_k;
    return 0.0;
  };
  // Published sizes pinned; the others share the remainder in proportion to population.
  auto pinned = [](std::int32_t code) -> std::int64_t {
    return code == 59 ? 620'000 : code == 33 ? 316'000 : code == 973 ? 57'500 : 0;
  };
  double free_pop = 0;
  std::int64_t fixed = 0;
  for (const auto& c : out) {
    if (pinned(c.code)) fixed += pinned(c.code);
    else free_pop += pop(c.code);
  }
  const double ratio = static_cast<double>(kTotal - fixed) / free_pop;
  std::int64_t sum = 0;
  for (auto& c : out) {
    c.size = pinned(c.code) ? pinned(c.code) : static_cast<std::int64_t>(std::llround(pop(c.code) * ratio / 10.0) * 10);
    sum += c.size;
  }
  // Rounding remainder goes to the largest free Caf (Bouches-du-Rhone) so the total is exact.
  for (auto& c : out)
    if (c.code == 13) c.size += kTotal - sum;
  return out;
}

}  // namespace

const std::vector<CafInfo>& caf_catalogue() {
  static const std::vector<CafInfo> cafs = build();
  return cafs;
}

}  // namespace dmde::worker
