#include "composition_root.hpp"

int main(int argc, char** argv) {
  return pipeline_app::run(argc, argv);
}
