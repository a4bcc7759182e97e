// Français. Mêmes clés que le catalogue anglais (en.ts), vérifiées par le compilateur.
import type { Messages } from './en.ts'

export const fr: Messages = {
  'page.title': 'Vérification pour {tenant}',
  'page.loading': 'Chargement…',
  'page.noscript':
    'Cette page a besoin de JavaScript pour prendre ou envoyer des photos. Activez JavaScript puis rechargez la page.',
  'page.secured_by': 'Vérification par Loom',
  'page.language': 'Langue',
  'page.cancel': 'Annuler la vérification',

  'intro.title.age': '{tenant} vous demande de confirmer votre âge',
  'intro.title.identity': '{tenant} vous demande de confirmer votre identité',
  'intro.lead': 'Cela prend environ deux minutes. Il vous faut :',
  'intro.step.document': 'Une photo de votre passeport, carte d’identité ou permis de conduire',
  'intro.step.document_one': 'Une photo de votre {document}',
  'intro.step.document_any': 'Une photo de l’un de ces documents : {documents}',
  'intro.step.document_back': 'Pour une carte ou un permis, une photo du verso aussi',
  'intro.step.selfie': 'Un selfie, pour vérifier que le document est bien le vôtre',
  'intro.step.selfie_estimate':
    'Un selfie : votre âge est estimé à partir de celui-ci. Si cela ne suffit pas, une photo de votre pièce d’identité',
  'intro.no_camera': 'Pas de caméra ? Vous pouvez envoyer des photos à la place.',
  'intro.privacy':
    'Vos photos sont transmises et conservées chiffrées, utilisées uniquement pour cette vérification, et supprimées à la fin de la durée de conservation fixée par {tenant}.',
  'intro.consent.age': 'J’accepte que {tenant} vérifie mon âge à l’aide de ces photos.',
  'intro.consent.identity': 'J’accepte que {tenant} vérifie mon identité à l’aide de ces photos.',
  'intro.controller': '{controller} est responsable de vos données.',
  'intro.privacy_notice': 'Politique de confidentialité',
  'intro.new_tab': '(s’ouvre dans un nouvel onglet)',
  'intro.consent_required': 'Cochez la case pour donner votre accord avant de commencer.',
  'intro.face_consent.face_match':
    'J’accepte que {tenant} compare, par une technologie biométrique, mon visage sur le selfie avec la photo de mon document. Aucun gabarit du visage n’est conservé : le selfie est stocké chiffré et supprimé avec mes autres photos à la fin de la durée de conservation.',
  'intro.face_consent.age_estimation':
    'J’accepte que {tenant} estime mon âge à partir de mon visage sur le selfie, par une technologie biométrique. Aucun gabarit du visage n’est conservé : le selfie est stocké chiffré et supprimé avec mes autres photos à la fin de la durée de conservation.',
  'intro.face_consent_required':
    'Cette vérification demande un contrôle du visage. Cochez aussi cette case pour donner votre accord avant de commencer.',
  'intro.start': 'Commencer',

  'choose.title': 'Quel document allez-vous utiliser ?',
  'choose.hint':
    'Choisissez celui que vous avez sur vous. Pour un passeport, seule la page avec la photo est demandée ; pour une carte ou un permis, les deux faces.',
  'document.passport': 'passeport',
  'document.id_card': 'carte d’identité',
  'document.drivers_license': 'permis de conduire',
  'document.residence_permit': 'titre de séjour',
  'document.visa': 'visa',
  'document.travel_document': 'document de voyage',

  'step.progress': 'Étape {n} sur {total}',
  'capture.document_front.title': 'Photo de votre document',
  'capture.document_front.hint':
    'Passeport : la page avec votre photo et les deux lignes de lettres et de <<< en bas. Carte ou permis : le recto.',
  'capture.document_back.title': 'Le verso de votre document',
  'capture.document_back.hint':
    'Retournez la carte. Les lignes de lettres ou le code-barres doivent être nets et entièrement visibles.',
  'capture.selfie.title': 'Prenez un selfie',
  'capture.selfie.hint':
    'Regardez la caméra bien en face, dans un endroit éclairé, sans rien devant le visage. Vous seul devez être sur la photo.',
  'capture.tips':
    'Posez-le à plat sur une surface sombre, bien éclairé, sans reflet, et remplissez le cadre.',
  'capture.use_camera': 'Prendre une photo',
  'capture.upload': 'Envoyer une photo',
  'capture.upload_hint': 'JPEG, PNG, WebP ou PDF, 10 Mo au plus.',
  'capture.front.passport.title': 'La page photo de votre passeport',
  'capture.front.passport.hint':
    'Ouvrez votre passeport à la page avec votre photo. Les deux lignes de lettres et de <<< en bas de cette page doivent être nettes et entièrement visibles.',
  'capture.front.visa.title': 'Photo de votre visa',
  'capture.front.visa.hint':
    'Le visa entier, avec les deux lignes de lettres et de <<< en bas nettes et entièrement visibles.',
  'capture.front.id_card.title': 'Le recto de votre carte d’identité',
  'capture.front.drivers_license.title': 'Le recto de votre permis de conduire',
  'capture.front.residence_permit.title': 'Le recto de votre titre de séjour',
  'capture.front.card.hint':
    'La face avec votre photo. La carte entière doit être sur la photo, nette et sans reflet.',
  'capture.back.id_card.title': 'Le verso de votre carte d’identité',
  'capture.back.drivers_license.title': 'Le verso de votre permis de conduire',
  'capture.back.residence_permit.title': 'Le verso de votre titre de séjour',
  'capture.back.mrz.hint':
    'Retournez la carte. Les trois lignes de lettres et de <<< doivent être nettes et entièrement visibles.',
  'capture.back.barcode.hint':
    'Retournez le permis. Le large code-barres doit être net, entièrement visible et sans reflet.',
  'capture.change_document': 'Changer de document',
  'flow.step_done': 'Cette étape est terminée.',
  'capture.handoff': 'Continuer sur votre téléphone',
  'handoff.title': 'Continuer sur votre téléphone',
  'handoff.scan':
    'Scannez ce code avec l’appareil photo de votre téléphone, ou ouvrez ce lien sur votre téléphone :',
  'handoff.qr_alt': 'Code QR qui ouvre cette vérification sur votre téléphone',
  'handoff.link_label': 'Lien pour votre téléphone',
  'handoff.copy': 'Copier le lien',
  'handoff.copied': 'Lien copié.',
  'handoff.copy_failed': 'Le lien n’a pas pu être copié. Sélectionnez-le et copiez-le vous-même.',
  'handoff.waiting':
    'Gardez cette page ouverte : elle continuera d’elle-même dès que votre téléphone aura envoyé les photos.',
  'handoff.received.document_front': 'Recto reçu',
  'handoff.received.document_back': 'Verso reçu',
  'handoff.received.selfie': 'Selfie reçu',
  'handoff.use_this_device': 'Utiliser plutôt cet appareil',
  'handoff.phone_done': 'Vous pouvez retourner sur votre ordinateur.',

  'camera.title.document': 'Placez votre document dans le cadre',
  'camera.title.selfie': 'Placez votre visage dans l’ovale',
  'camera.starting': 'Démarrage de la caméra…',
  'camera.ready': 'Caméra prête. Appuyez sur « Prendre la photo » quand l’image est nette.',
  'camera.video_label': 'Aperçu de la caméra',
  'camera.shoot': 'Prendre la photo',
  'camera.back': 'Retour',
  'camera.denied':
    'La caméra n’a pas pu être utilisée. Autorisez l’accès à la caméra dans les réglages du navigateur, ou envoyez une photo.',
  'camera.unavailable': 'Aucune caméra trouvée. Envoyez plutôt une photo.',

  'guide.edges': 'Placez tout le document dans le cadre.',
  'guide.too_far': 'Rapprochez-vous : le document doit remplir le cadre.',
  'guide.too_close': 'Reculez un peu pour que tout le document tienne dans le cadre.',
  'guide.glare': 'Inclinez le document pour éviter les reflets.',
  'guide.blurry': 'Ne bougez plus : l’image est floue.',
  'guide.dark': 'Trouvez plus de lumière.',
  'guide.good': 'Ne bougez plus…',

  'review.title': 'Vérifiez votre photo',
  'review.alt': 'La photo que vous venez de prendre',
  'review.document': 'Tous les détails sont-ils lisibles, sans reflet ni flou ?',
  'review.selfie': 'Votre visage est-il entièrement visible et net ?',
  'review.use': 'Utiliser cette photo',
  'review.retake': 'Reprendre',

  'check.title': 'Vérification de votre photo…',
  'check.preview_alt': 'La photo choisie',
  'feedback.title': 'Essayons encore une fois',
  'feedback.accepted_title': 'Nous vérifierons cette photo telle quelle',
  'feedback.retake': 'Reprendre la photo',
  'feedback.upload_instead': 'Envoyer une photo à la place',
  'feedback.take_instead': 'Prendre une photo à la place',
  'feedback.accepted_anyway': 'Nous vérifierons cette photo telle quelle.',
  'feedback.continue': 'Continuer',
  'feedback.ok': 'Photo acceptée.',
  'feedback.blurry':
    'La photo est floue. Tenez le téléphone immobile et laissez la caméra faire la mise au point.',
  'feedback.glare': 'Un reflet cache une partie du document. Inclinez-le pour éviter la lumière.',
  'feedback.too_dark': 'La photo est trop sombre. Placez-vous dans un endroit plus éclairé.',
  'feedback.too_small':
    'Le document est trop petit sur la photo. Rapprochez-vous pour qu’il remplisse le cadre.',
  'feedback.no_document':
    'Aucun document trouvé. Montrez la page avec les lignes de lettres, ou le code-barres.',
  'feedback.mrz_unreadable':
    'Les lignes de lettres n’ont pas pu être lues. Elles doivent être nettes et entièrement visibles.',
  'feedback.barcode_unreadable':
    'Le code-barres n’a pas pu être lu. Remplissez le cadre avec lui et évitez les reflets.',
  'feedback.try_again': 'La photo n’a pas pu être vérifiée à temps. Veuillez réessayer.',
  'feedback.no_face': 'Aucun visage trouvé. Regardez la caméra, le visage entièrement visible.',
  'feedback.multiple_faces':
    'Il y a plus d’un visage sur la photo. Vous seul devez être sur le selfie.',
  'feedback.face_too_small': 'Votre visage est trop petit sur la photo. Rapprochez le téléphone.',
  'feedback.face_cut_off': 'Votre visage est coupé au bord. Centrez-le dans le cadre.',

  'error.invalid_file':
    'Ce fichier n’a pas pu être ouvert. Choisissez une photo (JPEG, PNG ou WebP) ou un PDF. Photos HEIC d’iPhone : prenez plutôt la photo ici.',
  'error.too_large': 'Ce fichier dépasse 10 Mo. Choisissez une photo plus petite.',
  'error.network': 'Problème de connexion. Vérifiez votre connexion et réessayez.',
  'error.rate_limited': 'Trop de tentatives en peu de temps. Attendez une minute puis réessayez.',
  'error.unexpected': 'Un problème est survenu de notre côté. Veuillez réessayer.',
  'error.try_again': 'Réessayer',

  'processing.title': 'Vérification de votre document',
  'processing.title.face': 'Comparaison de votre selfie avec votre document',
  'processing.title.selfie': 'Vérification de votre selfie',
  'processing.body': 'Cela prend en général quelques secondes. Gardez cette page ouverte.',
  'processing.slow': 'Cela prend plus de temps que d’habitude. Gardez cette page ouverte.',

  'cancel.title': 'Annuler la vérification ?',
  'cancel.body':
    '{tenant} sera informé que vous avez arrêté. Ce lien ne fonctionnera plus ensuite.',
  'cancel.confirm': 'Oui, annuler',
  'cancel.keep': 'Non, continuer',

  'outcome.approved.title': 'Vous êtes vérifié',
  'outcome.approved.body': 'Merci. {tenant} a reçu le résultat.',
  'outcome.review.title': 'Merci',
  'outcome.review.body':
    'Votre vérification a été envoyée et doit être examinée de plus près. {tenant} vous tiendra informé.',
  'outcome.rejected.title': 'Nous n’avons pas pu vous vérifier',
  'outcome.rejected.body': 'Le document ne remplit pas les conditions de {tenant}.',
  'outcome.rejected.document_unreadable': 'Votre document n’a pas pu être lu.',
  'outcome.rejected.face_mismatch': 'Votre selfie ne correspond pas à la photo de votre document.',
  'outcome.rejected.document_expired':
    'Votre document a expiré. {tenant} a besoin d’un document encore valide.',
  'outcome.attempts_used': 'Vous avez utilisé vos {max} tentatives.',
  'retry.title': 'Essayons encore',
  'retry.document_unreadable':
    'Votre document n’a pas pu être lu. Reprenez-le en photo, net et bien éclairé.',
  'retry.face_mismatch':
    'Votre selfie ne correspond pas à la photo de votre document. Prenez-en un autre : face à la caméra, bien éclairé, sans lunettes ni chapeau.',
  'retry.document_expired': 'Ce document a expiré. Utilisez un autre document encore valide.',
  'retry.attempt': 'Tentative {n} sur {total}',
  'outcome.abandoned.title': 'Vérification annulée',
  'outcome.abandoned.body': 'Vous avez arrêté la vérification. {tenant} en a été informé.',
  'outcome.expired.title': 'Ce lien a expiré',
  'outcome.expired.body':
    'Pour votre sécurité, les liens de vérification ne fonctionnent que pendant une durée limitée. Demandez un nouveau lien à {tenant}.',
  'outcome.failed.title': 'Un problème est survenu',
  'outcome.failed.body': 'La vérification n’a pas pu aboutir. Demandez un nouveau lien à {tenant}.',
  'outcome.continue': 'Retourner sur {tenant}',
  'outcome.close': 'Vous pouvez fermer cette page.',
  'outcome.redirecting': 'Retour vers {tenant}…',

  'link.invalid.title': 'Ce lien ne fonctionne pas',
  'link.invalid.body':
    'Vérifiez que vous avez ouvert le lien complet reçu par e-mail ou message, ou demandez-en un nouveau.',
  'link.busy.title': 'Trop de tentatives',
  'link.busy.body': 'Patientez quelques minutes, puis ouvrez à nouveau le lien.',
  'link.someone': 'le service qui vous a envoyé ici',
}
