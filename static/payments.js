// Pay page: hosted fields (the gateway's iframe) → token → confirm form, once.
(function () {
  const form = document.getElementById("pay-confirm");
  if (!form || !window.emergepayFormFields) return;
  const button = document.getElementById("pay-button");
  const working = document.getElementById("pay-working");
  const errorBox = document.getElementById("pay-error");
  let submitted = false;
  const isCard = form.dataset.transactionType === "CreditSale";
  const field = (selector) => ({ appendToSelector: selector, useField: true });
  const hosted = window.emergepayFormFields.init({
    transactionToken: form.dataset.transactionToken,
    transactionType: form.dataset.transactionType,
    fieldSetUp: isCard
      ? { cardNumber: field("cardNumberContainer"), cardExpirationDate: field("expirationDateContainer"),
          cardSecurityCode: field("securityCodeContainer") }
      : { accountHolderName: field("accountHolderNameContainer"), routingNumber: field("routingNumberContainer"),
          accountNumber: field("accountNumberContainer") },
    onFieldError: (data) => {
      button.disabled = false;
      errorBox.textContent = (data && data.message) || "Check the payment details.";
      errorBox.hidden = false;
    },
    onUserAuthorized: (transactionToken) => {
      if (submitted) return;  // one charge per payment, whatever the clicks
      submitted = true;
      form.elements.transaction_token.value = transactionToken;
      button.disabled = true;
      working.hidden = false;
      form.submit();
    },
  });
  form.addEventListener("submit", (event) => {
    if (form.elements.transaction_token.value) return;
    event.preventDefault();
    if (button.disabled) return;
    errorBox.hidden = true;
    button.disabled = true;
    hosted.process();
    setTimeout(() => { if (!submitted) button.disabled = false; }, 4000);
  });
})();
