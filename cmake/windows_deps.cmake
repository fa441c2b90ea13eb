# The Windows build's dependencies: what tools/windows/build-deps.sh cross-built and linked
# into PIPELINE_WIN_DEPS. The header-only libraries are interface targets over its include
# folder (their Debian CMake configs name Linux paths); the compiled ones come from their own
# configs. Everything links statically: the programs need no DLL.
if(NOT PIPELINE_WIN_DEPS OR NOT EXISTS "${PIPELINE_WIN_DEPS}/.built")
  message(FATAL_ERROR "PIPELINE_WIN_DEPS must name a prefix made by tools/windows/build-deps.sh")
endif()
set(win_include "${PIPELINE_WIN_DEPS}/include")

add_library(pipeline_header_only INTERFACE)
target_include_directories(pipeline_header_only SYSTEM INTERFACE "${win_include}"
  "${CMAKE_CURRENT_LIST_DIR}/windows-include")
# windows.h without winsock 1 and without min/max macros, for Asio and for us alike.
target_compile_definitions(pipeline_header_only INTERFACE WIN32_LEAN_AND_MEAN NOMINMAX
  _WIN32_WINNT=0x0A00 UNICODE _UNICODE
  # Boost.Process v2 on std::filesystem: no Boost.Filesystem to build (NOTES-platform.md).
  BOOST_PROCESS_USE_STD_FS)
# Boost 1.81's process/v2 on std::filesystem uses boost::optional and std::is_convertible
# without including them (NOTES-platform.md). Large test objects pass COFF's section limit.
target_compile_options(pipeline_header_only INTERFACE
  "SHELL:-include boost/optional.hpp" "SHELL:-include type_traits" -Wa,-mbig-obj)
target_link_libraries(pipeline_header_only INTERFACE ws2_32 mswsock bcrypt)

add_library(Boost::headers ALIAS pipeline_header_only)
add_library(Boost::filesystem ALIAS pipeline_header_only)
add_library(CLI11::CLI11 ALIAS pipeline_header_only)
add_library(nlohmann_json::nlohmann_json ALIAS pipeline_header_only)
add_library(Catch2::Catch2 ALIAS pipeline_header_only)
list(APPEND CMAKE_MODULE_PATH /usr/lib/cmake/Catch2)  # Catch.cmake: catch_discover_tests
find_package(Threads REQUIRED)

find_package(yaml-cpp REQUIRED CONFIG)
find_package(re2 REQUIRED CONFIG)
find_package(SQLiteCpp REQUIRED CONFIG)
find_package(CURL REQUIRED CONFIG)

foreach(t logging yaml re2 sqlite)
  add_library(pipeline_${t} INTERFACE)
endforeach()
# spdlog header-only on fmt header-only (Debian's tweakme sets SPDLOG_FMT_EXTERNAL); file
# names wide, as std::filesystem's native form is on Windows (the run log's folder may be
# named outside the ANSI code page).
target_compile_definitions(pipeline_logging INTERFACE SPDLOG_FMT_EXTERNAL FMT_HEADER_ONLY
                           SPDLOG_WCHAR_FILENAMES)
target_link_libraries(pipeline_logging INTERFACE pipeline_header_only Threads::Threads)
target_link_libraries(pipeline_yaml INTERFACE yaml-cpp)
target_link_libraries(pipeline_re2 INTERFACE re2::re2)
target_link_libraries(pipeline_sqlite INTERFACE SQLiteCpp)
# libcurl linked in (statically, on Schannel): platform/curl_api_win32.cpp.
add_library(pipeline_curl INTERFACE)
target_link_libraries(pipeline_curl INTERFACE CURL::libcurl)
target_link_libraries(pipeline_build_flags INTERFACE pipeline_header_only)
