# Howard Hinnant's date library for time zones (SPEC 11: window boundaries on a zone's wall
# clock). Debian ships its headers and a shared libdate-tz; the runner links everything but
# libc statically (an idle run spent ms loading shared libraries), and Windows needs a build
# of its own, so tz.cpp is compiled here from Debian's source package, which
# tools/debian-source.sh fetches into build-deps/ (tools/install-deps.sh calls it).
#   Linux:   USE_OS_TZDB=1, the system's compiled zoneinfo (/usr/share/zoneinfo, tzdata).
#   Windows: USE_OS_TZDB=0, the IANA text files of Debian's tzdata source, which the build
#            puts beside each program as tzdata/ (util/time_zone_win32.cpp finds them).
set(PIPELINE_DATE_SRC "${CMAKE_SOURCE_DIR}/build-deps/howardhinnant-date" CACHE PATH
    "Debian's source of howardhinnant-date (tools/debian-source.sh)")
if(NOT EXISTS "${PIPELINE_DATE_SRC}/src/tz.cpp")
  message(FATAL_ERROR "${PIPELINE_DATE_SRC}/src/tz.cpp is missing: run tools/install-deps.sh "
                      "(it fetches Debian's source of the date library into build-deps/)")
endif()
add_library(pipeline_date_tz STATIC "${PIPELINE_DATE_SRC}/src/tz.cpp")
target_include_directories(pipeline_date_tz SYSTEM PUBLIC "${PIPELINE_DATE_SRC}/include")
target_compile_definitions(pipeline_date_tz PUBLIC ONLY_C_LOCALE=1 HAS_STRING_VIEW=1
                           HAS_REMOTE_API=0 AUTO_DOWNLOAD=0)
set_target_properties(pipeline_date_tz PROPERTIES POSITION_INDEPENDENT_CODE ON)
if(WIN32)
  target_compile_definitions(pipeline_date_tz PUBLIC USE_OS_TZDB=0)
  target_link_libraries(pipeline_date_tz PRIVATE pipeline_header_only PUBLIC ole32 shell32)
  set(PIPELINE_TZDATA_SRC "${CMAKE_SOURCE_DIR}/build-deps/tzdata" CACHE PATH
      "Debian's source of tzdata: the IANA text files the Windows build reads")
  if(NOT EXISTS "${PIPELINE_TZDATA_SRC}/northamerica")
    message(FATAL_ERROR "${PIPELINE_TZDATA_SRC} has no IANA text files: run "
                        "tools/debian-source.sh build-deps tzdata")
  endif()
else()
  target_compile_definitions(pipeline_date_tz PUBLIC USE_OS_TZDB=1)
  target_link_libraries(pipeline_date_tz PUBLIC Threads::Threads)
endif()
if(PIPELINE_SANITIZE)
  target_compile_options(pipeline_date_tz PRIVATE -fsanitize=address,undefined)
endif()

# Windows: the zone data beside a program, as tzdata/ (the text files date reads, and the
# Windows-name mappings it loads with them, none of which the runner uses).
function(pipeline_zone_data target)
  if(WIN32)
    set(out "$<TARGET_FILE_DIR:${target}>/tzdata")
    add_custom_command(TARGET ${target} POST_BUILD
      COMMAND ${CMAKE_COMMAND} -E make_directory "${out}"
      COMMAND ${CMAKE_COMMAND} -E copy_if_different
              ${PIPELINE_TZDATA_FILES} "${out}"
      COMMAND ${CMAKE_COMMAND} -E copy_if_different
              "${CMAKE_SOURCE_DIR}/cmake/windowsZones.xml" "${out}/windowsZones.xml"
      VERBATIM)
  endif()
endfunction()
if(WIN32)
  set(PIPELINE_TZDATA_FILES)
  foreach(f africa antarctica asia australasia backward etcetera europe northamerica
            southamerica version)
    list(APPEND PIPELINE_TZDATA_FILES "${PIPELINE_TZDATA_SRC}/${f}")
  endforeach()
endif()
