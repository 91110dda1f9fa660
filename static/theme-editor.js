// Theme editor: refuse an obviously wrong file before it goes to S3.
// The server checks the stored object again (size and real type); this only saves a round trip.
const MAX_BYTES = 2 * 1024 * 1024;
const TYPES = ["image/png", "image/jpeg", "image/webp"];
document.querySelectorAll("form[data-image-upload]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    const file = form.querySelector("input[type=file]").files[0];
    const status = form.querySelector("[data-upload-status]");
    let problem = "";
    if (!file) problem = "Choose a file first.";
    else if (!TYPES.includes(file.type)) problem = "Only PNG, JPEG or WebP images are accepted (SVG is not).";
    else if (file.size > MAX_BYTES) problem = `The file is ${(file.size / 1048576).toFixed(1)} MB; images are limited to 2 MB.`;
    if (problem) {
      event.preventDefault();
      status.textContent = problem;
    } else {
      status.textContent = "Uploading…";
    }
  });
});
