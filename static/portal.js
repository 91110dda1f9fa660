// Small progressive enhancements; every page works without this file.
document.addEventListener("click", (event) => {
  if (event.target.closest("[data-print]")) window.print();
});
