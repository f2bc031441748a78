#!/usr/bin/perl
# Template of the `nix*` wrappers that resources/setup/ensure-current-nix.mjs writes next to each
# Debian root it makes (it fills in the @...@ values; do not run this file itself).
#
# Runs @COMMAND@ of Nix @VERSION@ inside its own Debian root (@ROOT@) with bubblewrap, so it
# has its own /nix store, apart from the host's. Inside: the root as `/`, the host's /proc and
# /dev, every host directory a caller's paths may live in: each directory at the top of the
# host's `/` except the system's own (/nix, /usr, /etc, /var, /bin, /lib*, /sbin, /boot, /proc,
# /dev, /sys), so a checkout at /check/... or /srv/... is seen as it is; /var/tmp and the current
# directory too; /etc/passwd, /etc/group, /etc/hosts and /etc/resolv.conf read-only; the host's
# node (@HOST_PROGRAMS@) read-only at its own path, because a setting Nix runs may name it
# there: Builder Bar's on-demand ProxyCommand is `<node> <cli> proxy`, run by Nix's ssh. A host
# directory the root has no mount point for gets one made in the root when this user may (a
# root made by root, used by root, as in CI), else is left out. The current directory is kept,
# the environment passed through with the root's /usr/bin first on PATH (so Nix runs the root's
# ssh for remote builds), and stdin/stdout/stderr untouched. A current directory that the root has its own non-empty copy of
# (`/`, /usr, /etc, /var/lib, ...) is not bound over it: the command runs in the root's copy.
#
# Why Perl and not a shell `exec bwrap`: bwrap does not pass signals on to the command it runs
# (containers/bubblewrap#369), so a caller's SIGINT or SIGTERM would kill bwrap and leave Nix
# running. This wrapper stays the process its caller knows: it forwards INT, TERM, HUP, QUIT,
# USR1 and USR2 to Nix (whose pid bwrap reports on --info-fd), bwrap ignores them (so a terminal's
# Ctrl-C, sent to the whole process group, cannot kill it before Nix has answered), `env
# --default-signal` restores them for Nix, and when this wrapper dies even of SIGKILL, bwrap
# (setpriv --pdeathsig) and then Nix (--die-with-parent) die with it. Nix's exit code is passed
# back; a Nix killed by a signal kills this wrapper with the same signal. Perl is part of every
# Debian system and starts in milliseconds (Node takes ~100 ms, paid on every Nix call).
use strict;
use warnings;
use Fcntl qw(F_GETFD F_SETFD FD_CLOEXEC);
use POSIX ();

my $root = '@ROOT@';
my $command = '@COMMAND@';
my @forwarded = qw(INT TERM HUP QUIT USR1 USR2);
# The root's own system, never the host's: its Nix store and the programs Nix runs.
my %system_dirs = map { $_ => 1 } qw(/nix /usr /etc /var /bin /sbin /lib /lib32 /lib64 /libx32 /boot /proc /dev /sys /lost+found);
my @host_dirs = ('/var/tmp');
if (opendir(my $top, '/')) {
  for my $name (sort grep { $_ ne '.' && $_ ne '..' } readdir($top)) {
    my $dir = "/$name";
    next if $system_dirs{$dir} || -l $dir || !-d $dir;
    next unless -d "$root$dir" || mkdir("$root$dir");
    push @host_dirs, $dir;
  }
  closedir($top);
}
my @host_files = qw(/etc/passwd /etc/group /etc/hosts /etc/resolv.conf);
# Host programs named by absolute path: bound over an empty mount point made in the root (when
# this user may), never over a program the root has of its own.
my @host_programs = grep { -f $_ && -x _ } (@HOST_PROGRAMS@);
for my $program (@host_programs) {
  my $inside = "$root$program";
  if (!-e $inside && open(my $placeholder, '>', $inside)) { close($placeholder); }
  push @host_files, $program if -f $inside && -z _;
}

sub inside {
  my ($path, $dir) = @_;
  return $path eq $dir || index($path, "$dir/") == 0;
}

sub empty_or_missing {
  my ($dir) = @_;
  return 1 unless -e $dir;
  return 0 unless -d $dir;
  opendir(my $handle, $dir) or return 0;
  my @entries = grep { $_ ne '.' && $_ ne '..' } readdir($handle);
  closedir($handle);
  return @entries == 0;
}

my @binds;
push @binds, '--bind-try', $_, $_ for @host_dirs;
push @binds, '--ro-bind-try', $_, $_ for @host_files;

# The caller's directory: bound at the same path unless the root has its own copy there.
my $cwd = POSIX::getcwd() // '/';
if (!grep { inside($cwd, $_) } @host_dirs) {
  if ($cwd ne '/' && empty_or_missing("$root$cwd")) {
    push @binds, '--bind', $cwd, $cwd;
  } elsif (!-d "$root$cwd") {
    $cwd = '/';
  }
}

my $path = defined $ENV{PATH} && $ENV{PATH} ne '' ? "/usr/bin:$ENV{PATH}" : '/usr/bin:/bin';

pipe(my $info_read, my $info_write) or die "nix wrapper: pipe: $!\n";
my $nix;
my @early;
for my $name (@forwarded) {
  $SIG{$name} = sub {
    if (defined $nix) { kill $name, $nix } else { push @early, $name }
  };
}

my $bwrap = fork() // die "nix wrapper: fork: $!\n";
if ($bwrap == 0) {
  close $info_read;
  $SIG{$_} = 'IGNORE' for @forwarded;
  my $flags = fcntl($info_write, F_GETFD, 0);
  fcntl($info_write, F_SETFD, $flags & ~FD_CLOEXEC);
  my @argv = (
    '/usr/bin/setpriv', '--pdeathsig', 'KILL', '--',
    '/usr/bin/bwrap', '--die-with-parent', '--info-fd', fileno($info_write),
    '--bind', $root, '/', '--proc', '/proc', '--dev-bind', '/dev', '/dev',
    @binds, '--chdir', $cwd, '--setenv', 'PATH', $path,
    '--', '/usr/bin/env', '--default-signal=' . join(',', @forwarded), "/usr/bin/$command", @ARGV,
  );
  { no warnings 'exec'; exec { $argv[0] } @argv; }
  print STDERR "nix wrapper: cannot run $argv[0]: $!\n";
  POSIX::_exit(127);
}
close $info_write;

# bwrap writes {"child-pid": N, ...} once Nix's process exists; EOF without it means bwrap failed.
# The pipe stays open until bwrap ends: closing it early would kill bwrap with SIGPIPE on a later
# write.
my $info = '';
while (1) {
  my $read = sysread($info_read, $info, 4096, length $info);
  if (!defined $read) { next if $!{EINTR}; last }
  last if $read == 0 || $info =~ /\}/;
}
if ($info =~ /"child-pid"\s*:\s*(\d+)/) {
  $nix = $1;
  kill $_, $nix for @early;
}

my $waited;
do { $waited = waitpid($bwrap, 0) } while ($waited == -1 && $!{EINTR});
my $status = $?;
$SIG{$_} = 'DEFAULT' for @forwarded;

sub die_of {
  my ($signal) = @_;
  $SIG{$signal} = 'DEFAULT';
  POSIX::sigprocmask(POSIX::SIG_SETMASK(), POSIX::SigSet->new());
  kill $signal, $$;
}

my %signal_named = (1 => 'HUP', 2 => 'INT', 3 => 'QUIT', 9 => 'KILL', 10 => 'USR1', 12 => 'USR2', 13 => 'PIPE', 14 => 'ALRM', 15 => 'TERM');
if ($status & 127) {
  # bwrap itself was killed (it ignores the forwarded signals, so by something else).
  my $name = $signal_named{$status & 127};
  die_of($name) if defined $name;
  exit 128 + ($status & 127);
}
my $code = $status >> 8;
# bwrap reports a command killed by signal N as exit code 128 + N.
if ($code > 128 && defined $nix && defined $signal_named{$code - 128}) {
  die_of($signal_named{$code - 128});
}
exit $code;
