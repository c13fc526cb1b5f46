# autotime: PGXS build of the C++ extension. `make`, `make install`, `make installcheck`.
EXTENSION = autotime
MODULE_big = autotime
EXTVERSION = $(shell sed -n "s/^default_version = '\(.*\)'/\1/p" autotime.control)

CORE_SRCS = $(wildcard src/core/*.cpp)
PG_SRCS = $(wildcard src/pg/*.cpp)
OBJS = $(CORE_SRCS:.cpp=.o) $(PG_SRCS:.cpp=.o)
DATA = $(wildcard extension/autotime--*.sql)
EXTRA_CLEAN = META.json $(EXTENSION)-*.zip

REGRESS = $(patsubst sql/%.sql,%,$(sort $(wildcard sql/*.sql)))
REGRESS_OPTS = --inputdir=. --load-extension=autotime
ISOLATION = $(patsubst specs/%.spec,%,$(sort $(wildcard specs/*.spec)))
ISOLATION_OPTS = --load-extension=autotime

PG_CONFIG ?= pg_config
# The extension is C++; PostgreSQL's bitcode (JIT inlining) rules are for C only.
override with_llvm = no

# Warnings are errors only where the compiler is known (CI: scripts/test.sh passes WERROR=-Werror);
# a user's newer compiler may warn about something new, and that must not break their build.
WERROR ?=
PG_CXXFLAGS = -std=c++17 -Wall -Wextra $(WERROR) -Wno-missing-field-initializers -Wno-unused-parameter \
              -Wno-sign-compare -Wno-register -fno-omit-frame-pointer $(EXTRA_CXXFLAGS)
SHLIB_LINK = -lstdc++ $(EXTRA_LDFLAGS)

PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)

$(OBJS): $(wildcard src/core/*.hpp src/pg/*.hpp)

# Source distribution for PGXN: the committed tree plus META.json, versioned from autotime.control.
DISTNAME = $(EXTENSION)-$(EXTVERSION)
META.json: META.json.in autotime.control
	sed 's/@VERSION@/$(EXTVERSION)/g' $< > $@

dist: META.json
	git archive --format=zip --prefix=$(DISTNAME)/ --add-file=META.json -o $(DISTNAME).zip HEAD
	@echo "wrote $(DISTNAME).zip"

.PHONY: dist
