#!/usr/bin/env bash
# Downloads CIFAR-10 (the python version, 163 MB) into cifar-10-batches-py/ next to this script, where
# cs231n.data_utils.get_CIFAR10_data() looks for it. Without it the notebooks use the shipped digits data.
set -euo pipefail
cd "$(dirname "$0")"
if [ -d cifar-10-batches-py ]; then
    echo "CIFAR-10 is already in $(pwd)/cifar-10-batches-py"
    exit 0
fi
url="https://www.cs.toronto.edu/~kriz/cifar-10-python.tar.gz"
if command -v wget > /dev/null; then
    wget -O cifar-10-python.tar.gz "$url"
else
    curl -L -o cifar-10-python.tar.gz "$url"
fi
tar -xzf cifar-10-python.tar.gz
rm cifar-10-python.tar.gz
echo "CIFAR-10 is in $(pwd)/cifar-10-batches-py"
