#include "driver/app.hpp"

int main(int argc, char** argv) { return dmde::driver::run_main(argc, argv); }
