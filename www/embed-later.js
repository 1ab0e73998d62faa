// Adds a card after load, the way an app or an infinite scroll would.
setTimeout(() => {
  const card = document.createElement("vitrine-card");
  card.id = "later";
  card.setAttribute("item", "itm_film_camera");
  document.getElementById("embed-grid").append(card);
}, 1000);
