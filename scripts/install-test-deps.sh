#!/usr/bin/env bash
# Installs the Debian packages the test suite drives: Chromium for end-to-end tests, Xvfb for a display,
# FreeRDP's shadow server, xrdp and xfreerdp as real RDP peers, ImageMagick and Tesseract to read screenshots,
# TigerVNC's Xvnc, QEMU (its VNC server and monitor) and websockify as real VNC servers and console proxies, socat
# (a TCP "serial port" with a shell behind it), TigerVNC's viewer (xtigervncviewer) as the native VNC client of
# bench:vnc and of the demo VNC server's tests, and the OpenStack command line (python3-openstackclient) to hold the
# demo cloud to.
set -euo pipefail
packages=(
  chromium xvfb xauth xterm x11-apps fonts-dejavu-core
  freerdp2-shadow-x11 winpr-utils freerdp2-x11 xrdp xorgxrdp
  imagemagick tesseract-ocr p7zip-full xdotool x11-utils x11-xserver-utils xclip
  tigervnc-standalone-server tigervnc-tools qemu-system-x86 websockify tigervnc-viewer socat
  python3-openstackclient
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "test packages: all present"
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "test packages: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
