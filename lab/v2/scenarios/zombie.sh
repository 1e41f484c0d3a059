#!/bin/sh
# Forks a child that joins cgroup $1 and exits, then becomes `sleep`, which never reaps it.
sh -c "echo \$\$ > $1/cgroup.procs" &
exec sleep 600
