# shellcheck shell=bash
# The aws-cli reference the CLI tests compare kumo with (test/unit/cli/aws-reference.ts): a Python
# that imports aws-cli v1 and a botocore at least as new as the EC2 model kumo follows. Sourced by
# lib.sh. Why Debian's bullseye and sid: docs/decisions/0034-aws-cli-reference-from-debian.md.

KUMO_AWS_REFERENCE_DIR="${KUMO_AWS_REFERENCE_DIR:-/var/cache/kumo/aws-reference}"
# aws-cli v1 is only in bullseye (bookworm and later ship v2, which prints and pages otherwise).
KUMO_AWS_CLI_SUITE=bullseye
# Debian's only botocore at least as new as kumo's model is sid's (testing's lags behind).
KUMO_BOTOCORE_SUITE=sid
# Where Debian keeps releases it no longer supports (bullseye, once it leaves the mirrors).
KUMO_DEBIAN_ARCHIVE_MIRROR=http://archive.debian.org/debian/

# The botocore whose EC2 model kumo's tables follow (test/api/fixtures/ec2-shapes.json records it).
aws_reference_botocore_min() {
  sed -n 's/^ *"botocore": *"\([0-9.]*\)".*/\1/p' "$KUMO_ROOT/test/api/fixtures/ec2-shapes.json" |
    head -n 1
}

# aws_reference_ok PYTHON: PYTHON imports aws-cli v1, botocore >= the model's and jmespath.
aws_reference_ok() {
  # shellcheck disable=SC2016 # Python, not shell
  timeout 60 "$1" -c '
import re, sys
import awscli, awscli.clidriver, botocore, botocore.session, jmespath
version = lambda v: tuple(int(n) for n in re.findall(r"\d+", v)[:3])
sys.exit(0 if awscli.__version__.startswith("1.") and
         version(botocore.__version__) >= version(sys.argv[1]) else 1)' \
    "$(aws_reference_botocore_min)" >/dev/null 2>&1
}

aws_reference_versions() {
  "$1" -c 'import awscli, botocore; print("aws-cli", awscli.__version__, "botocore", botocore.__version__)'
}

# The Debian archive this host's apt uses (it may be a local mirror), else Debian's CDN.
debian_archive_uri() {
  local codename uri
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
  # shellcheck disable=SC2016 # apt's own $(FIELD) placeholders
  uri="$(apt-get indextargets --format '$(REPO_URI) $(RELEASE)' 'Created-By: Packages' \
    'Origin: Debian' 2>/dev/null | awk -v s="$codename" '$2 == s { print $1; exit }')"
  echo "${uri:-http://deb.debian.org/debian/}"
}

# aws_reference_sources APT-DIR CLI-MIRROR MIRROR CODENAME: the private sources list.
aws_reference_sources() {
  local key=/usr/share/keyrings/debian-archive-keyring.gpg
  {
    echo "deb [signed-by=$key] $2 $KUMO_AWS_CLI_SUITE main"
    echo "deb [signed-by=$key] $3 $KUMO_BOTOCORE_SUITE main"
    echo "deb [signed-by=$key] $3 $4 main"
  } >"$1/sources.list"
}

# apt with its own sources, lists and (empty) package status under $1: the host's sources and
# installed packages are neither read nor changed. Every file is still checked against the
# archive's signature, but not against the index's expiry date: sid's Release is valid for a week,
# and a mirror that serves a frozen copy of the archive (this site's: its hosts set the same
# option) would fail on it. Expiry keeps a replayed old index from withholding a host's security
# updates; this tree is a test oracle, and one with too old a botocore fails the check after the
# build.
aws_reference_apt_options() {
  printf '%s\n' -o "Dir::Etc::SourceList=$1/sources.list" -o "Dir::Etc::SourceParts=$1/empty" \
    -o Acquire::Check-Valid-Until=false \
    -o "Dir::Etc::Preferences=$1/empty/none" -o "Dir::Etc::PreferencesParts=$1/empty" \
    -o "Dir::State=$1/state" -o "Dir::Cache=$1/cache" -o "Dir::State::status=$1/status" \
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o Acquire::Languages=none \
    -o "APT::Architecture=$(dpkg --print-architecture)"
}

# aws_reference_python_deps APT-DIR PACKAGE/SUITE...: the Python modules they depend on (the
# first of each alternative), without the interpreter itself. One apt-cache run for them all
# (each reads the four indexes: 3 s).
aws_reference_python_deps() {
  local -a options
  mapfile -t options < <(aws_reference_apt_options "$1")
  shift
  apt-cache "${options[@]}" show "$@" | awk '
    /^Depends:/ {
      sub(/^Depends: */, ""); n = split($0, deps, / *, */)
      for (i = 1; i <= n; i++) {
        split(deps[i], alt, / *\| */); name = alt[1]; sub(/[ :(].*/, "", name)
        if (name ~ /^python3-/ && name !~ /^python3-(minimal|distutils|lib2to3|supported-m..)$/) print name
      }
    }' | sort -u
}

# Builds the reference in $1 from Debian packages: aws-cli from bullseye, botocore and s3transfer
# from sid, what they import from this host's release; each unpacked with dpkg -x (nothing is
# installed) and run by the host's python3 through $1/python3.
build_aws_reference() {
  local dir=$1 apt="$1/apt" mirror codename pkg dep
  local -a options level wanted=()
  local -A suite_of=() seen=()
  mirror="$(debian_archive_uri)"
  codename="$(. /etc/os-release && echo "${VERSION_CODENAME:?}")"
  mkdir -p "$apt/empty" "$apt/state/lists/partial" "$apt/cache/archives/partial" "$dir/debs"
  : >"$apt/status"
  mapfile -t options < <(aws_reference_apt_options "$apt")
  mirror="${KUMO_AWS_REFERENCE_MIRROR:-$mirror}"
  aws_reference_sources "$apt" "${KUMO_AWS_CLI_MIRROR:-$mirror}" "$mirror" "$codename"
  log "aws-cli reference: reading Debian's $KUMO_AWS_CLI_SUITE, $KUMO_BOTOCORE_SUITE and $codename indexes from $mirror"
  if ! timeout 900 apt-get "${options[@]}" -qq update; then
    # Debian moves a release that is no longer supported to its archive.
    [ -z "${KUMO_AWS_CLI_MIRROR:-}" ] ||
      die "apt-get update of the aws-cli reference's suites failed ($KUMO_AWS_CLI_SUITE from $KUMO_AWS_CLI_MIRROR, $KUMO_BOTOCORE_SUITE and $codename from $mirror)"
    log "aws-cli reference: trying $KUMO_AWS_CLI_SUITE from $KUMO_DEBIAN_ARCHIVE_MIRROR"
    aws_reference_sources "$apt" "$KUMO_DEBIAN_ARCHIVE_MIRROR" "$mirror" "$codename"
    timeout 900 apt-get "${options[@]}" -qq update ||
      die "apt-get update of the aws-cli reference's suites failed: $KUMO_AWS_CLI_SUITE must come from a mirror that has it (KUMO_AWS_CLI_MIRROR), $KUMO_BOTOCORE_SUITE and $codename from $mirror (KUMO_AWS_REFERENCE_MIRROR)"
  fi
  suite_of=([awscli]="$KUMO_AWS_CLI_SUITE" [python3-botocore]="$KUMO_BOTOCORE_SUITE"
    [python3-s3transfer]="$KUMO_BOTOCORE_SUITE")
  level=(awscli python3-botocore python3-s3transfer python3-jmespath)
  # The Python closure, a level at a time: everything but the three above comes from the host's
  # release, built for its python3.
  while [ "${#level[@]}" -gt 0 ]; do
    local -a specs=()
    for pkg in "${level[@]}"; do
      seen[$pkg]=1
      specs+=("$pkg/${suite_of[$pkg]:-$codename}")
    done
    wanted+=("${specs[@]}")
    level=()
    for dep in $(aws_reference_python_deps "$apt" "${specs[@]}"); do
      [ -n "${seen[$dep]:-}" ] || level+=("$dep")
    done
  done
  log "aws-cli reference: downloading ${wanted[*]}"
  # apt-get download checks each file against the signed index it came from.
  (cd "$dir/debs" && timeout 900 apt-get "${options[@]}" -qq download "${wanted[@]}") ||
    die "could not download the aws-cli reference's packages (${wanted[*]})"
  for pkg in "$dir"/debs/*.deb; do
    dpkg-deb -x "$pkg" "$dir/root"
    printf '%s %s\n' "$(dpkg-deb -f "$pkg" Package)" "$(dpkg-deb -f "$pkg" Version)" >>"$dir/packages"
  done
  # What it is made of stays in $dir/packages; the archives (12 MB) are not needed again.
  rm -rf "$apt" "$dir/debs"
  # Its modules come first, before any the host installed; the user's site directory is ignored.
  cat >"$dir/python3" <<'EOT'
#!/bin/sh
# The aws-cli reference: Debian's aws-cli v1 and a current botocore (scripts/lib-aws-reference.sh).
here="$(dirname "$(readlink -f "$0")")"
PYTHONPATH="$here/root/usr/lib/python3/dist-packages${PYTHONPATH:+:$PYTHONPATH}" exec /usr/bin/python3 -s "$@"
EOT
  chmod 755 "$dir/python3"
}

# Makes sure the aws-cli reference exists: a Python that already has it (KUMO_AWSCLI_PYTHON,
# python3, /usr/bin/python3) is used as it is; otherwise the one in $KUMO_AWS_REFERENCE_DIR, built
# there (network needed) when missing or too old for the model. Exports KUMO_AWSCLI_PYTHON.
ensure_aws_reference() {
  local python dir=$KUMO_AWS_REFERENCE_DIR new old
  for python in "${KUMO_AWSCLI_PYTHON:-}" python3 /usr/bin/python3 "$dir/python3"; do
    if [ -z "$python" ] || ! aws_reference_ok "$python"; then continue; fi
    export KUMO_AWSCLI_PYTHON="$python"
    log "aws-cli reference: $python ($(aws_reference_versions "$python"))"
    return
  done
  [ -x /usr/bin/python3 ] || ensure_packages python3
  mkdir -p "$(dirname "$dir")"
  exec 7>"$dir.lock" # two builds at once make it once
  flock 7
  if ! aws_reference_ok "$dir/python3"; then
    # What an interrupted build left (it was never moved into place).
    rm -rf "$dir".new.* "$dir".old.*
    new="$(mktemp -d "$dir.new.XXXXXX")"
    # A subshell whose every failing step (errexit, die) removes the half-made tree; then this
    # script stops too.
    (
      trap '[ $? = 0 ] || rm -rf "$new"' EXIT
      build_aws_reference "$new"
    )
    if ! aws_reference_ok "$new/python3"; then
      log "the built tree fails: $("$new/python3" -c 'import awscli.clidriver, botocore, jmespath' 2>&1 | tail -n 1)"
      rm -rf "$new"
      die "the aws-cli reference from Debian does not import aws-cli v1 with botocore >= $(aws_reference_botocore_min)"
    fi
    old="$dir.old.$$"
    [ ! -e "$dir" ] || mv "$dir" "$old"
    mv "$new" "$dir"
    rm -rf "$old"
  fi
  exec 7>&-
  export KUMO_AWSCLI_PYTHON="$dir/python3"
  log "aws-cli reference: $dir/python3 ($(aws_reference_versions "$dir/python3"))"
}
