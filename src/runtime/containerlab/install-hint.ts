// What to tell a user whose host has no containerlab binary (doctor, and up --runtime containerlab).
export const CONTAINERLAB_INSTALL_HINT =
  'install containerlab (https://containerlab.dev/install/: bash -c "$(curl -sL https://get.containerlab.dev)"), ' +
  'or use --runtime docker, which runs the same lab on the Docker engine directly';
