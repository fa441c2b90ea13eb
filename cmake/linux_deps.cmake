# The Linux build's dependencies, from Debian's packages (tools/install-deps.sh).
find_package(Boost 1.81 REQUIRED COMPONENTS filesystem)
find_package(CLI11 REQUIRED)
find_package(yaml-cpp REQUIRED)
find_package(spdlog REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)
find_package(Threads REQUIRED)
find_package(SQLiteCpp REQUIRED)
# RE2: user patterns match in time linear in the line, whatever the pattern (SPEC 14).
find_package(PkgConfig REQUIRED)
pkg_check_modules(RE2 REQUIRED IMPORTED_TARGET re2)

# libcurl's headers only: the library is opened when the first alert is sent
# (platform/curl_api.hpp), so that a run that sends none does not load it.
find_package(CURL 7.68 REQUIRED)
add_library(pipeline_curl INTERFACE)
target_include_directories(pipeline_curl INTERFACE
                           $<TARGET_PROPERTY:CURL::libcurl,INTERFACE_INCLUDE_DIRECTORIES>)
target_link_libraries(pipeline_curl INTERFACE ${CMAKE_DL_LIBS})

# The third-party libraries as the rest of the build links them: pipeline_logging (spdlog),
# pipeline_yaml, pipeline_re2, pipeline_sqlite. Static: an archive listed before the shared
# library the imported target carries, which --as-needed then leaves out.
foreach(t logging yaml re2 sqlite)
  add_library(pipeline_${t} INTERFACE)
endforeach()
if(PIPELINE_STATIC)
  find_library(PIPELINE_YAML_A libyaml-cpp.a REQUIRED)
  find_library(PIPELINE_RE2_A libre2.a REQUIRED)
  find_library(PIPELINE_SQLITE3_A libsqlite3.a REQUIRED)
  target_compile_definitions(pipeline_logging INTERFACE SPDLOG_FMT_EXTERNAL FMT_HEADER_ONLY)
  target_link_libraries(pipeline_logging INTERFACE Threads::Threads)
  target_link_libraries(pipeline_yaml INTERFACE ${PIPELINE_YAML_A})
  target_link_libraries(pipeline_re2 INTERFACE ${PIPELINE_RE2_A} PkgConfig::RE2 Threads::Threads)
  # SQLiteCpp's imported target would put the shared sqlite3 first: its archive and its
  # compile settings are taken one by one instead.
  find_library(PIPELINE_SQLITECPP_A libSQLiteCpp.a REQUIRED)
  target_compile_definitions(pipeline_sqlite INTERFACE
                             $<TARGET_PROPERTY:SQLiteCpp,INTERFACE_COMPILE_DEFINITIONS>)
  target_include_directories(pipeline_sqlite INTERFACE
                             $<TARGET_PROPERTY:SQLiteCpp,INTERFACE_INCLUDE_DIRECTORIES>)
  target_link_libraries(pipeline_sqlite INTERFACE ${PIPELINE_SQLITECPP_A} ${PIPELINE_SQLITE3_A}
                                                  ${CMAKE_DL_LIBS} Threads::Threads m)
  target_link_options(pipeline_build_flags INTERFACE -static-libstdc++ -static-libgcc
                      -Wl,--as-needed)
else()
  target_link_libraries(pipeline_logging INTERFACE spdlog::spdlog)
  target_link_libraries(pipeline_yaml INTERFACE yaml-cpp)
  target_link_libraries(pipeline_re2 INTERFACE PkgConfig::RE2)
  target_link_libraries(pipeline_sqlite INTERFACE SQLiteCpp)
endif()
