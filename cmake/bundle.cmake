# Concatenates the d3 modules' minified UMD builds, dependencies first, into one script: run at
# build time with
#   cmake -DDIR=<node_modules> "-DMODULES=<a;b;...>" -DOUT=<file> -P bundle.cmake
# Each <DIR>/<module>/dist/<module>.min.js opens with its copyright line, kept as it is; each
# attaches its exports to the global `d3` object, so the page's script uses d3.select, d3.zoom...
cmake_minimum_required(VERSION 3.25)
foreach(var DIR MODULES OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "bundle.cmake: -D${var}=... is required")
  endif()
endforeach()
set(text "")
foreach(module IN LISTS MODULES)
  set(file ${DIR}/${module}/dist/${module}.min.js)
  if(NOT EXISTS ${file})
    message(FATAL_ERROR "bundle.cmake: ${file} is missing (did npm ci run?)")
  endif()
  file(READ ${file} js)
  string(APPEND text "${js}\n")
endforeach()
file(WRITE ${OUT} "${text}")
