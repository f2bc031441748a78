# Tiny derivations for the build queue's fixtures and integration tests. Builders are /bin/sh
# with no PATH: only shell builtins and absolute paths. `nonce` makes every run's derivations
# new, so Nix really builds them instead of finding valid outputs from an earlier run.
{ nonce ? "0", slowIterations ? "3000000" }:
let
  mk = name: script: inputs: derivation ({
    inherit name nonce;
    system = builtins.currentSystem;
    builder = "/bin/sh";
    args = [ "-c" script ];
  } // inputs);
in rec {
  success = mk "bb-success" ''
    echo "building success"
    echo "a line on stderr" >&2
    read v < /proc/version
    echo "$v" > $out
  '' {};

  failure = mk "bb-failure" ''
    echo "about to fail"
    echo "something went wrong" >&2
    exit 1
  '' {};

  left = mk "bb-left" ''
    echo "building left"
    read v < /proc/version
    echo "left $v" > $out
  '' {};

  right = mk "bb-right" ''
    echo "building right"
    read v < /proc/version
    echo "right $v" > $out
  '' {};

  # Depends on two others: three derivations in one build.
  joined = mk "bb-joined" ''
    echo "building joined"
    read l < $left
    read r < $right
    read v < /proc/version
    echo "$l" > $out
    echo "$r" >> $out
    echo "joined $v" >> $out
  '' { inherit left right; };

  # 20,000 log lines, more than any socket buffer holds: a reader of Nix's log that stops
  # reading would hold the build up.
  noisy = mk "noisy" ''
    i=0
    while [ $i -lt 20000 ]; do echo line $i of a noisy build, padded to look like a compiler; i=$((i+1)); done
    echo > $out
  '' {};

  # Busy for a while (bounded, so a failed cancel still ends), for cancellation.
  slow = mk "bb-slow" ''
    echo "slow build started"
    i=0
    while [ $i -lt ${slowIterations} ]; do i=$((i+1)); done
    echo "finished $i" > $out
  '' {};
}
