# The stateful core fuzzer's committed corpus, replayed by a plain main() (replay_main.cc) so
# that every build, gcc included (no libFuzzer), runs it against the ordinary ferry_turn.
# Included from tests/unit/turn/CMakeLists.txt; the fuzzing target itself is in CMakeLists.txt.
add_executable(fuzz_core_replay
  ${PROJECT_SOURCE_DIR}/tests/fuzz/fuzz_core.cc
  ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.cc)
target_include_directories(fuzz_core_replay PRIVATE ${PROJECT_SOURCE_DIR}/tests/fakes)
target_link_libraries(fuzz_core_replay PRIVATE ferry_turn)
add_test(NAME fuzz_core_replay
  COMMAND fuzz_core_replay ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/core)
set_tests_properties(fuzz_core_replay PROPERTIES TIMEOUT 120)
